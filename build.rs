// sqlx::migrate! embeds migrations/ at compile time, but cargo only notices a changed or new
// migration file if told to watch the directory.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
