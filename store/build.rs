// The store embeds ../migrations with `sqlx::migrate!`; a new migration file must rebuild it.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
