fn main() {
    std::process::exit(persona::cli::main());
}
