//! Planted corpora: synthetic research data with known groups, for segmentation-quality tests
//! and the benchmark. Each group talks about its own goals, problems and habits in varied
//! wording (shared sentence templates × group vocabularies), mixed with filler everyone says
//! and some cross-talk; attributes follow the groups only loosely. Writers produce CSV, a
//! folder of Markdown transcripts, JSON and JSONL; [`adjusted_rand_index`] scores a grouping
//! against the truth.

use super::rng::SplitMix64;
use crate::domain::{Corpus, Participant, Persona, SourceFile, Utterance};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

/// The content of one planted group.
struct Theme {
    role: &'static str,
    base_age: u32,
    goals: &'static [&'static str],
    problems: &'static [&'static str],
    habits: &'static [&'static str],
    topics: &'static [&'static str],
}

/// Which set of group vocabularies and sentence templates to use. `Alternate` shares no theme
/// and no template with `Standard`, so that a test on it is not a test on the data the
/// segmentation was tuned with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vocabulary {
    Standard,
    Alternate,
}

const STANDARD_THEMES: &[Theme] = &[
    Theme {
        role: "Field Sales Rep",
        base_age: 34,
        goals: &[
            "log client visits straight from my phone",
            "update the CRM between customer meetings",
            "see my sales pipeline while on the road",
            "close deals faster with mobile quotes",
            "plan my territory route around client appointments",
            "pull up customer order history in the car park",
            "send a quote before leaving the client site",
            "hit my quarterly sales quota without evening admin",
        ],
        problems: &[
            "the CRM app logs me out in areas with patchy signal",
            "I have to retype visit notes on the laptop at night",
            "quotes need a VPN connection I never have on the road",
            "the mobile pipeline view hides half my deals",
            "my territory route planner ignores client opening hours",
            "syncing contacts between the phone and the CRM duplicates customers",
            "expense claims for mileage take ages to file",
            "the sales dashboard does not load on my phone",
        ],
        habits: &[
            "check my pipeline on the phone before the first client visit",
            "dictate visit notes into my phone between appointments",
            "plan my route for the week on Sunday evening",
            "call my best customers from the car",
            "review open quotes at the motorway services",
            "log mileage in a notebook in the glovebox",
            "sync the CRM over hotel wifi at night",
            "message prospects on the train between meetings",
        ],
        topics: &[
            "client visits",
            "my sales territory",
            "the CRM",
            "mobile quotes",
            "my commission",
        ],
    },
    Theme {
        role: "Finance Analyst",
        base_age: 41,
        goals: &[
            "close the month end books in three days",
            "automate the variance report for the board",
            "reconcile ledger accounts without spreadsheets",
            "forecast cash flow with live invoice data",
            "produce audit ready reports on demand",
            "consolidate budgets from every department quickly",
            "spot invoice errors before the payment run",
            "share the quarterly forecast with the CFO early",
        ],
        problems: &[
            "the ledger export breaks every pivot table I build",
            "accruals are reconciled by hand in huge spreadsheets",
            "budget owners send their forecasts in different formats",
            "the variance report needs numbers from four systems",
            "auditors ask for invoice evidence we cannot find",
            "currency conversion rates are pasted in manually",
            "the month end close keeps slipping past the deadline",
            "journal entries get approved late by managers",
        ],
        habits: &[
            "download the general ledger into Excel every morning",
            "reconcile the bank statements on Friday afternoons",
            "build the board pack from a reporting template",
            "check overdue invoices before the weekly finance meeting",
            "keep a macro workbook for the variance analysis",
            "email budget owners reminders about accruals",
            "review cash flow forecasts with the treasury team",
            "archive audit evidence in shared folders by quarter",
        ],
        topics: &[
            "month end close",
            "the general ledger",
            "variance analysis",
            "budget forecasts",
            "audit season",
        ],
    },
    Theme {
        role: "Accessibility Specialist",
        base_age: 38,
        goals: &[
            "navigate every form with a screen reader",
            "get captions on all training videos",
            "zoom pages to four hundred percent without breaking layouts",
            "use keyboard shortcuts for every menu",
            "have proper alt text on product images",
            "choose a high contrast theme across the suite",
            "fill in forms with voice control",
            "make our documents pass WCAG checks",
        ],
        problems: &[
            "the screen reader announces unlabeled buttons",
            "focus gets trapped inside modal dialogs",
            "colour contrast on the dashboard is far too low",
            "videos are published without captions or transcripts",
            "drag and drop has no keyboard alternative",
            "error messages are only shown in red text",
            "magnification makes the navigation menu overlap content",
            "PDF exports are untagged and unreadable with assistive tech",
        ],
        habits: &[
            "test new releases with NVDA and VoiceOver",
            "navigate with the keyboard instead of the mouse",
            "run an automated WCAG audit on each sprint build",
            "increase the browser zoom on every page",
            "write alt text for the images in our newsletter",
            "turn on captions for every meeting recording",
            "switch the operating system to high contrast mode",
            "file accessibility bugs with screen reader logs",
        ],
        topics: &[
            "screen readers",
            "keyboard navigation",
            "captions",
            "colour contrast",
            "WCAG compliance",
        ],
    },
    Theme {
        role: "IT Administrator",
        base_age: 45,
        goals: &[
            "enforce multi factor authentication for every account",
            "patch all servers within forty eight hours",
            "provision new laptops with a single script",
            "get alerts when a firewall rule changes",
            "audit admin privileges every quarter",
            "rotate service account passwords automatically",
            "centralise endpoint security logs",
            "offboard leavers from every system on their last day",
        ],
        problems: &[
            "phishing emails keep slipping past the spam filter",
            "users share passwords over chat",
            "the patch management console times out on large rollouts",
            "shadow IT tools appear without any security review",
            "firewall logs are scattered over three consoles",
            "offboarding leaves orphaned accounts in SaaS tools",
            "the VPN concentrator crashes under load",
            "privileged access requests are approved by email",
        ],
        habits: &[
            "review the security alerts dashboard first thing",
            "run vulnerability scans over the weekend",
            "script user provisioning in PowerShell",
            "check the backup jobs every morning",
            "audit firewall rules at the end of each month",
            "reset locked accounts through the admin console",
            "read vendor security advisories over coffee",
            "document server changes in the ticketing system",
        ],
        topics: &[
            "patch management",
            "the firewall",
            "multi factor authentication",
            "endpoint security",
            "admin rights",
        ],
    },
    Theme {
        role: "University Student",
        base_age: 21,
        goals: &[
            "keep my weekly food budget under fifty pounds",
            "split rent and bills fairly with flatmates",
            "find cheaper second hand textbooks",
            "save for a summer trip on my student loan",
            "track my spending across my bank cards",
            "balance shifts at my part time job with lectures",
            "avoid the overdraft before the loan arrives",
            "get student discounts on software",
        ],
        problems: &[
            "my student loan runs out weeks before the next payment",
            "textbooks on the reading list cost a fortune",
            "splitting utility bills with flatmates causes arguments",
            "the banking app hides small subscriptions",
            "rent goes up every academic year",
            "part time job shifts clash with my lecture timetable",
            "the overdraft fees eat into my grocery money",
            "campus food is far too expensive",
        ],
        habits: &[
            "plan cheap meals for the week on Sunday",
            "check my bank balance before buying anything",
            "buy textbooks from older students",
            "use a spreadsheet to split bills with flatmates",
            "study in the library to save on heating",
            "pick up extra shifts during exam breaks",
            "compare prices at two supermarkets",
            "cancel subscriptions after the free trial",
        ],
        topics: &[
            "my student loan",
            "rent with flatmates",
            "textbooks",
            "my grocery budget",
            "lectures",
        ],
    },
    Theme {
        role: "Clinic Nurse",
        base_age: 39,
        goals: &[
            "book patient appointments without double booking",
            "swap shifts on the rota from my phone",
            "see which patients are waiting in the clinic",
            "send appointment reminders to reduce no shows",
            "hand over patient notes quickly at shift change",
            "schedule follow up visits before patients leave",
            "keep the ward rota fair for night shifts",
            "access medication charts at the bedside",
        ],
        problems: &[
            "the appointment system allows double bookings",
            "patients miss appointments because reminders never arrive",
            "the rota is published too late to plan childcare",
            "handover notes are scribbled on paper",
            "shift swaps need three signatures from the ward manager",
            "the clinic waiting list is out of date",
            "night shifts are assigned to the same nurses every month",
            "bedside terminals are too slow to open patient records",
        ],
        habits: &[
            "check the clinic schedule at the start of every shift",
            "phone patients who missed their appointments",
            "write handover notes in a pocket notebook",
            "swap shifts with colleagues in the ward group chat",
            "print the day list of patient appointments",
            "update the rota board in the staff room",
            "triage the waiting list after the morning clinic",
            "double check medication charts during rounds",
        ],
        topics: &[
            "the ward rota",
            "patient appointments",
            "shift handover",
            "the clinic waiting list",
            "night shifts",
        ],
    },
    Theme {
        role: "Graphic Designer",
        base_age: 29,
        goals: &[
            "share design mockups with clients for feedback",
            "keep brand colours consistent across every asset",
            "export artwork in every format in one click",
            "organise my font library by project",
            "collaborate on illustrations in real time",
            "get client sign off on layouts faster",
            "reuse components from our design system",
            "build a portfolio of my best branding work",
        ],
        problems: &[
            "clients send feedback on mockups by email in pieces",
            "brand colours shift between print and screen",
            "exporting artboards for every format is tedious",
            "font licences are impossible to track",
            "the design file gets corrupted when two people edit",
            "layout revisions go round in circles without sign off",
            "stock photo searches return the same images",
            "the design system components are out of date",
        ],
        habits: &[
            "sketch layout ideas in a notebook before opening Figma",
            "keep a mood board for each branding project",
            "export artwork at the end of the day",
            "check colour profiles before sending files to print",
            "browse design inspiration on Dribbble in the morning",
            "name layers carefully in every design file",
            "present mockups to clients on video calls",
            "back up illustrations to an external drive",
        ],
        topics: &[
            "design mockups",
            "brand colours",
            "typography",
            "illustration",
            "the design system",
        ],
    },
    Theme {
        role: "Logistics Coordinator",
        base_age: 47,
        goals: &[
            "track every shipment from the warehouse to delivery",
            "optimise delivery routes for the van fleet",
            "see pallet stock levels in real time",
            "book carrier collections without phone calls",
            "cut late deliveries at the distribution centre",
            "print shipping labels straight from the order system",
            "plan loading bays for inbound freight",
            "manage customs paperwork for export orders",
        ],
        problems: &[
            "shipment tracking stops updating once the van leaves",
            "carriers confirm collections by phone only",
            "pallet counts in the warehouse system are wrong",
            "customs paperwork delays export orders at the port",
            "loading bays are double booked for inbound freight",
            "the route optimiser ignores driver hours",
            "shipping labels print with the wrong barcode",
            "delivery exceptions are reported a day late",
        ],
        habits: &[
            "check the dispatch board at six every morning",
            "phone carriers to confirm the afternoon collections",
            "count pallets in the warehouse on Fridays",
            "plan van routes on a whiteboard",
            "chase late shipments with the depot supervisor",
            "file customs declarations before noon",
            "update the freight spreadsheet after each delivery",
            "walk the loading bays before the night shift",
        ],
        topics: &[
            "shipments",
            "the warehouse",
            "delivery routes",
            "freight carriers",
            "customs paperwork",
        ],
    },
];

const ALTERNATE_THEMES: &[Theme] = &[
    Theme {
        role: "Parent",
        base_age: 36,
        goals: &[
            "coordinate the school run with other parents",
            "find a childminder for after school hours",
            "keep track of vaccination appointments for the kids",
            "plan healthy lunchboxes for the week",
            "book holiday clubs during half term",
            "share the family calendar with grandparents",
        ],
        problems: &[
            "the nursery changes pickup times at short notice",
            "after school clubs fill up within minutes",
            "school letters get lost at the bottom of the bag",
            "the childminder cancels when the kids are poorly",
            "half term childcare costs more than my wages",
            "the school payment portal forgets my login",
        ],
        habits: &[
            "pack the lunchboxes the night before",
            "check the school newsletter on Monday",
            "swap pickups with neighbours in a group chat",
            "keep a paper calendar on the fridge",
            "order nappies in bulk online",
            "read bedtime stories after bath time",
        ],
        topics: &[
            "the school run",
            "childcare",
            "the nursery",
            "half term",
            "the family calendar",
        ],
    },
    Theme {
        role: "Restaurant Owner",
        base_age: 44,
        goals: &[
            "cut food waste in the kitchen",
            "fill tables on quiet weeknights",
            "order produce from local suppliers automatically",
            "keep the menu costing up to date",
            "train new waiting staff faster",
            "manage table reservations in one place",
        ],
        problems: &[
            "suppliers deliver produce short without warning",
            "online booking platforms take a big commission",
            "waiting staff quit in the middle of the season",
            "menu prices lag behind ingredient costs",
            "the till system crashes during Saturday service",
            "no shows leave tables empty on Friday nights",
        ],
        habits: &[
            "count stock in the walk in fridge after service",
            "taste every sauce before dinner service",
            "call the fish supplier at dawn",
            "update the specials board at lunchtime",
            "review reservations with the head chef",
            "cash up the tills at midnight",
        ],
        topics: &[
            "the kitchen",
            "table reservations",
            "food suppliers",
            "the menu",
            "dinner service",
        ],
    },
    Theme {
        role: "Personal Trainer",
        base_age: 30,
        goals: &[
            "track client progress across training blocks",
            "sell more personal training packages",
            "design periodised programmes for athletes",
            "keep clients motivated between sessions",
            "book gym floor slots without clashes",
            "share nutrition plans with clients",
        ],
        problems: &[
            "clients forget their workouts between sessions",
            "the gym booking system double books the squat racks",
            "progress photos are scattered across my camera roll",
            "clients cancel sessions at the last minute",
            "nutrition apps give clients conflicting advice",
            "programme spreadsheets break on my tablet",
        ],
        habits: &[
            "log client lifts on a clipboard",
            "text clients a check in on Sunday",
            "film technique videos during sessions",
            "plan training blocks in six week cycles",
            "weigh in clients at the start of each month",
            "stretch with clients after the cooldown",
        ],
        topics: &[
            "training sessions",
            "client progress",
            "the gym floor",
            "nutrition plans",
            "workout programmes",
        ],
    },
    Theme {
        role: "Estate Agent",
        base_age: 37,
        goals: &[
            "arrange property viewings around tenants",
            "get valuations out before rival agents",
            "keep landlords updated on lettings progress",
            "publish listings with floor plans the same day",
            "chase mortgage offers for buyers",
            "shorten the time from offer to completion",
        ],
        problems: &[
            "conveyancing solicitors never reply to chasers",
            "tenants cancel viewings at the door",
            "listing portals reject floor plan uploads",
            "property chains collapse near exchange",
            "landlords phone for updates several times a day",
            "valuation reports take days to write up",
        ],
        habits: &[
            "drive between property viewings all afternoon",
            "call vendors with feedback after each viewing",
            "photograph properties on my own camera",
            "update the lettings board on Monday mornings",
            "check the portals for new listings at lunch",
            "chase solicitors on Friday mornings",
        ],
        topics: &[
            "property viewings",
            "landlords",
            "property listings",
            "conveyancing",
            "valuations",
        ],
    },
    Theme {
        role: "Secondary Teacher",
        base_age: 35,
        goals: &[
            "mark homework faster with feedback codes",
            "plan lessons that stretch every pupil",
            "share revision resources before mocks",
            "track pupil attainment across the year group",
            "cut time spent on classroom admin",
            "contact parents about behaviour quickly",
        ],
        problems: &[
            "marking piles up over half term",
            "the classroom projector fails mid lesson",
            "pupils lose their revision packs",
            "behaviour incidents need logging in two systems",
            "lesson planning eats my weekends",
            "the attainment tracker needs grades typed twice",
        ],
        habits: &[
            "mark books at the kitchen table after school",
            "photocopy worksheets before registration",
            "plan lessons on Sunday afternoons",
            "run revision sessions at lunchtime",
            "email parents through the school portal",
            "seat pupils with a seating plan",
        ],
        topics: &["marking", "lesson plans", "pupils", "revision", "the classroom"],
    },
    Theme {
        role: "Farmer",
        base_age: 52,
        goals: &[
            "record herd health for every cow",
            "plan crop rotation across the fields",
            "sell produce directly at farmers markets",
            "monitor soil moisture before irrigation",
            "keep machinery maintenance on schedule",
            "apply for agricultural subsidies on time",
        ],
        problems: &[
            "the tractor breaks down at harvest",
            "subsidy forms are long and confusing",
            "rural broadband drops in the barn",
            "grain prices swing before we sell",
            "livestock movement records are on paper",
            "weather forecasts miss frost on the fields",
        ],
        habits: &[
            "walk the fields at sunrise",
            "milk the herd twice before breakfast",
            "note rainfall in a diary by the barn door",
            "service the tractor in winter",
            "load produce for the farmers market on Saturday",
            "check livestock water troughs at dusk",
        ],
        topics: &["the herd", "harvest", "crop rotation", "the tractor", "farm subsidies"],
    },
];

const STANDARD_TEMPLATES: Templates = Templates {
    goal: &[
        "I want to {}.",
        "My main goal is to {}.",
        "I'd like to {} without so much hassle.",
        "It would be great if I could {}.",
        "What I really need is to {}.",
        "I'm hoping to {} this year.",
    ],
    problem: &[
        "It's really frustrating when {}.",
        "The biggest problem is that {}.",
        "Honestly it is annoying that {}.",
        "I struggle because {}.",
        "It wastes my time when {}.",
    ],
    habit: &[
        "I usually {}.",
        "Every week I {}.",
        "I always {} before anything else.",
        "I tend to {}.",
        "Most days I {}.",
    ],
    topic: &[
        "A lot of my day revolves around {}.",
        "Most of my attention goes to {}.",
        "When people ask about my work I talk about {}.",
    ],
};

const ALTERNATE_TEMPLATES: Templates = Templates {
    goal: &[
        "Ideally I could {} more easily.",
        "We need to {} and soon.",
        "If only I could {} every time.",
        "I would love to {}.",
    ],
    problem: &[
        "The headache is that {}.",
        "Sometimes {} and I lose an hour.",
        "What drives me mad is that {}.",
        "It is a nightmare when {}.",
    ],
    habit: &[
        "Normally I {}.",
        "Every day I {}.",
        "Out of habit I {}.",
        "I generally {}, that is my routine.",
    ],
    topic: &["Everything for me comes back to {}.", "I spend my energy on {}."],
};

struct Templates {
    goal: &'static [&'static str],
    problem: &'static [&'static str],
    habit: &'static [&'static str],
    topic: &'static [&'static str],
}

/// Sentences everyone says, whatever their group.
const FILLER: &[&str] = &[
    "Thanks for having me.",
    "That's a good question.",
    "Overall the product is fine I guess.",
    "I don't really have strong opinions on that.",
    "Let me think about that for a second.",
    "Sure, happy to help with your research.",
    "Yeah, that sounds about right to me.",
    "It is what it is, you know.",
    "I haven't really thought about it before.",
    "Nothing else comes to mind right now.",
    "I suppose it depends on the day.",
    "To be honest it's mostly okay.",
];

/// Filler of the alternate vocabulary: product small talk with content words, harder to tell
/// from real differences than pleasantries.
const ALTERNATE_FILLER: &[&str] = &[
    "The onboarding session was okay.",
    "Support answers within a day or so.",
    "The new dashboard looks cleaner than the old one.",
    "Pricing seems reasonable compared to competitors.",
    "My manager recommended the software last spring.",
    "The login page could load a little faster.",
    "Notifications show up on my watch as well.",
    "The colours in the latest update are nicer.",
    "I saw the release notes in the newsletter.",
    "The help centre articles are decent enough.",
];

const LOCATIONS: &[&str] = &[
    "London",
    "Leeds",
    "Glasgow",
    "Cardiff",
    "Belfast",
    "Bristol",
    "Manchester",
    "Norwich",
];

const QUESTIONS: &[&str] = &[
    "Tell me about a typical week.",
    "What are you trying to achieve at the moment?",
    "What gets in your way?",
    "How do you usually go about it?",
    "Is there anything else you would like to add?",
];

/// What to plant.
#[derive(Debug, Clone, PartialEq)]
pub struct PlantedSpec {
    /// Participants per group; its length is the number of groups (at most 8 for `Standard`,
    /// 6 for `Alternate`).
    pub group_sizes: Vec<usize>,
    pub utterances_per_participant: usize,
    /// Chance that a sentence is shared filler.
    pub filler_share: f64,
    /// Chance that a topical sentence comes from another group's theme.
    pub crosstalk_share: f64,
    /// Chance that a participant's role is their group's typical role.
    pub role_fidelity: f64,
    pub vocabulary: Vocabulary,
    pub seed: u64,
}

impl PlantedSpec {
    /// `groups` equal groups of `per_group` participants, 6 utterances each, standard mix.
    pub fn equal(groups: usize, per_group: usize, seed: u64) -> PlantedSpec {
        PlantedSpec {
            group_sizes: vec![per_group; groups],
            utterances_per_participant: 6,
            filler_share: 0.25,
            crosstalk_share: 0.05,
            role_fidelity: 0.8,
            vocabulary: Vocabulary::Standard,
            seed,
        }
    }

    /// Total participants.
    pub fn participants(&self) -> usize {
        self.group_sizes.iter().sum()
    }
}

/// One synthetic participant and what they said.
#[derive(Debug, Clone, PartialEq)]
pub struct PlantedParticipant {
    pub id: String,
    /// The planted group (0-based): the truth label.
    pub group: usize,
    pub role: String,
    pub age: u32,
    pub location: String,
    pub utterances: Vec<String>,
}

/// A synthetic corpus with known groups, participants in ID order.
#[derive(Debug, Clone, PartialEq)]
pub struct PlantedCorpus {
    pub participants: Vec<PlantedParticipant>,
}

impl PlantedCorpus {
    /// Generates the corpus `spec` describes, deterministically for its seed.
    ///
    /// # Panics
    /// When `spec.group_sizes` is empty or has more groups than the vocabulary has themes.
    pub fn generate(spec: &PlantedSpec) -> PlantedCorpus {
        let (themes, templates, filler_sentences) = match spec.vocabulary {
            Vocabulary::Standard => (STANDARD_THEMES, &STANDARD_TEMPLATES, FILLER),
            Vocabulary::Alternate => (ALTERNATE_THEMES, &ALTERNATE_TEMPLATES, ALTERNATE_FILLER),
        };
        assert!(
            (1..=themes.len()).contains(&spec.group_sizes.len()),
            "between 1 and {} groups",
            themes.len()
        );
        let mut rng = SplitMix64::new(spec.seed);
        // Shuffle so that IDs say nothing about groups.
        let mut groups: Vec<usize> = spec
            .group_sizes
            .iter()
            .enumerate()
            .flat_map(|(g, &size)| std::iter::repeat_n(g, size))
            .collect();
        rng.shuffle(&mut groups);
        let width = groups.len().to_string().len().max(3);
        let participants = groups
            .into_iter()
            .enumerate()
            .map(|(i, group)| {
                let theme = &themes[group];
                let role = if rng.chance(spec.role_fidelity) {
                    theme.role
                } else {
                    themes[rng.below(spec.group_sizes.len())].role
                };
                let age = theme.base_age - 8 + rng.below(17) as u32;
                let location = rng.choose(LOCATIONS).to_string();
                let utterances = (0..spec.utterances_per_participant.max(1))
                    .map(|u| {
                        let sentences = 1 + rng.below(2);
                        let mut text = String::new();
                        for s in 0..sentences {
                            if !text.is_empty() {
                                text.push(' ');
                            }
                            // The first sentence of the first utterance is always on topic, so
                            // that nobody is pure filler.
                            let filler = !(u == 0 && s == 0) && rng.chance(spec.filler_share);
                            if filler {
                                let sentence: &&str = rng.choose(filler_sentences);
                                text.push_str(sentence);
                            } else {
                                let source = if rng.chance(spec.crosstalk_share) {
                                    &themes[rng.below(spec.group_sizes.len())]
                                } else {
                                    theme
                                };
                                text.push_str(&topical_sentence(source, templates, &mut rng));
                            }
                        }
                        text
                    })
                    .collect();
                PlantedParticipant {
                    id: format!("P{:0width$}", i + 1),
                    group,
                    role: role.to_string(),
                    age,
                    location,
                    utterances,
                }
            })
            .collect();
        PlantedCorpus { participants }
    }

    /// Participant ID -> planted group.
    pub fn truth(&self) -> BTreeMap<String, usize> {
        self.participants.iter().map(|p| (p.id.clone(), p.group)).collect()
    }

    /// The corpus ingestion would read from [`PlantedCorpus::write_csv`] (`planted.csv`).
    pub fn to_corpus(&self) -> Corpus {
        let mut corpus = Corpus::default();
        let mut line = 1;
        for p in &self.participants {
            corpus.participants.push(Participant {
                id: p.id.clone(),
                attributes: [
                    ("role".to_string(), p.role.clone()),
                    ("age".to_string(), p.age.to_string()),
                    ("location".to_string(), p.location.clone()),
                ]
                .into_iter()
                .collect(),
            });
            for text in &p.utterances {
                line += 1;
                corpus.utterances.push(Utterance {
                    question: None,
                    participant_id: p.id.clone(),
                    source: 0,
                    location: format!("line {line}"),
                    text: text.clone(),
                });
            }
        }
        corpus.sources.push(SourceFile {
            path: "planted.csv".into(),
            format: "csv".into(),
            bytes: 0,
            sha256: String::new(),
            participants: self.participants.len(),
            utterances: corpus.utterances.len(),
        });
        corpus
    }

    /// One row per utterance: `participant_id,role,age,location,response`.
    pub fn write_csv(&self, path: &Path) -> io::Result<()> {
        let mut writer = csv::Writer::from_path(path).map_err(io::Error::other)?;
        writer
            .write_record(["participant_id", "role", "age", "location", "response"])
            .map_err(io::Error::other)?;
        for p in &self.participants {
            let age = p.age.to_string();
            for text in &p.utterances {
                writer
                    .write_record([p.id.as_str(), &p.role, &age, &p.location, text])
                    .map_err(io::Error::other)?;
            }
        }
        writer.flush()
    }

    /// One Markdown transcript per participant (`<id>.md`) in `dir`: a `## Background` list
    /// and `**Interviewer:**` / `**Participant:**` turns.
    pub fn write_markdown(&self, dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)?;
        for p in &self.participants {
            let mut md = String::new();
            let _ = writeln!(md, "# Interview with {}\n", p.id);
            let _ = writeln!(md, "## Background\n");
            let _ = writeln!(md, "- Participant ID: {}", p.id);
            let _ = writeln!(md, "- Role: {}", p.role);
            let _ = writeln!(md, "- Age: {}", p.age);
            let _ = writeln!(md, "- Location: {}\n", p.location);
            let _ = writeln!(md, "## Transcript\n");
            for (i, text) in p.utterances.iter().enumerate() {
                let _ = writeln!(md, "**Interviewer:** {}\n", QUESTIONS[i % QUESTIONS.len()]);
                let _ = writeln!(md, "**Participant:** {text}\n");
            }
            std::fs::write(dir.join(format!("{}.md", p.id)), md)?;
        }
        Ok(())
    }

    /// `{"responses": [{"participant_id", "role", "age", "location", "answers": [...]}]}`.
    pub fn write_json(&self, path: &Path) -> io::Result<()> {
        let responses: Vec<serde_json::Value> = self
            .participants
            .iter()
            .map(|p| {
                serde_json::json!({
                    "participant_id": p.id, "role": p.role, "age": p.age,
                    "location": p.location, "answers": p.utterances,
                })
            })
            .collect();
        let text = serde_json::to_string_pretty(&serde_json::json!({ "responses": responses }))?;
        std::fs::write(path, text)
    }

    /// One object per utterance: `{"participant_id", "role", "age", "location", "response"}`.
    pub fn write_jsonl(&self, path: &Path) -> io::Result<()> {
        let mut out = io::BufWriter::new(std::fs::File::create(path)?);
        for p in &self.participants {
            for text in &p.utterances {
                let line = serde_json::json!({
                    "participant_id": p.id, "role": p.role, "age": p.age,
                    "location": p.location, "response": text,
                });
                writeln!(out, "{line}")?;
            }
        }
        out.flush()
    }
}

fn topical_sentence(theme: &Theme, templates: &Templates, rng: &mut SplitMix64) -> String {
    let (templates, fillers): (&[&str], &[&str]) = match rng.below(10) {
        0..=2 => (templates.goal, theme.goals),
        3..=5 => (templates.problem, theme.problems),
        6..=8 => (templates.habit, theme.habits),
        _ => (templates.topic, theme.topics),
    };
    let template = *rng.choose(templates);
    let filler: &&str = rng.choose(fillers);
    template.replacen("{}", filler, 1)
}

/// Adjusted Rand index (Hubert & Arabie) of two labelings of the same items: 1 for identical
/// partitions, about 0 for chance agreement. Labels are arbitrary integers.
///
/// # Panics
/// When the two labelings have different lengths.
pub fn adjusted_rand_index(truth: &[usize], predicted: &[usize]) -> f64 {
    assert_eq!(truth.len(), predicted.len(), "labelings of different lengths");
    let pairs = |n: u64| (n * n.saturating_sub(1) / 2) as f64;
    let mut cells: HashMap<(usize, usize), u64> = HashMap::new();
    let mut rows: HashMap<usize, u64> = HashMap::new();
    let mut columns: HashMap<usize, u64> = HashMap::new();
    for (&t, &p) in truth.iter().zip(predicted) {
        *cells.entry((t, p)).or_default() += 1;
        *rows.entry(t).or_default() += 1;
        *columns.entry(p).or_default() += 1;
    }
    let index: f64 = cells.values().map(|&c| pairs(c)).sum();
    let row_pairs: f64 = rows.values().map(|&c| pairs(c)).sum();
    let column_pairs: f64 = columns.values().map(|&c| pairs(c)).sum();
    let total = pairs(truth.len() as u64);
    if total == 0.0 {
        return 1.0;
    }
    let expected = row_pairs * column_pairs / total;
    let maximum = (row_pairs + column_pairs) / 2.0;
    if maximum == expected {
        return if index == expected { 1.0 } else { 0.0 };
    }
    (index - expected) / (maximum - expected)
}

/// The persona index of each participant in `ids` (`usize::MAX` when no persona lists them),
/// to compare with planted truth through [`adjusted_rand_index`].
pub fn persona_labels(personas: &[Persona], ids: &[String]) -> Vec<usize> {
    let mut of: HashMap<&str, usize> = HashMap::new();
    for (index, persona) in personas.iter().enumerate() {
        for id in &persona.participants {
            of.insert(id.as_str(), index);
        }
    }
    ids.iter()
        .map(|id| of.get(id.as_str()).copied().unwrap_or(usize::MAX))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::segment::segment_corpus;

    #[test]
    fn ari_of_known_labelings() {
        assert_eq!(adjusted_rand_index(&[0, 0, 1, 1], &[5, 5, 7, 7]), 1.0);
        assert!(adjusted_rand_index(&[0, 0, 1, 1], &[0, 1, 0, 1]) < 0.0);
        // Reference value (scikit-learn adjusted_rand_score([0,0,0,1,1,1],[0,0,1,1,2,2])).
        let ari = adjusted_rand_index(&[0, 0, 0, 1, 1, 1], &[0, 0, 1, 1, 2, 2]);
        assert!((ari - 0.242_424_242).abs() < 1e-6, "{ari}");
        assert_eq!(adjusted_rand_index(&[0, 0], &[1, 1]), 1.0);
    }

    #[test]
    fn generation_is_deterministic_and_shuffled() {
        let spec = PlantedSpec::equal(4, 10, 9);
        let a = PlantedCorpus::generate(&spec);
        assert_eq!(a, PlantedCorpus::generate(&spec));
        assert_eq!(a.participants.len(), 40);
        assert_eq!(a.participants[0].id, "P001");
        let first_ten: Vec<usize> = a.participants[..10].iter().map(|p| p.group).collect();
        assert!(first_ten.iter().any(|&g| g != first_ten[0]));
        assert!(a.participants.iter().all(|p| p.utterances.len() == 6));
        assert_ne!(a, PlantedCorpus::generate(&PlantedSpec::equal(4, 10, 10)));
    }

    #[test]
    fn planted_groups_are_recovered_in_code() {
        for (groups, seed) in [(4, 1), (6, 2), (8, 3)] {
            let planted = PlantedCorpus::generate(&PlantedSpec::equal(groups, 25, seed));
            let corpus = planted.to_corpus();
            let segmentation = segment_corpus(&corpus, groups, 42);
            let mut predicted = vec![usize::MAX; corpus.participants.len()];
            let position: HashMap<&str, usize> = corpus
                .participants
                .iter()
                .enumerate()
                .map(|(i, p)| (p.id.as_str(), i))
                .collect();
            for s in &segmentation.segments {
                for id in &s.participant_ids {
                    predicted[position[id.as_str()]] = s.index;
                }
            }
            let truth: Vec<usize> = planted.participants.iter().map(|p| p.group).collect();
            let ari = adjusted_rand_index(&truth, &predicted);
            assert!(ari >= 0.9, "groups {groups} seed {seed}: ARI {ari}");
        }
    }
}
