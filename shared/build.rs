//! Front-codes Django's common-password list (`data/common-passwords.txt`)
//! for the binaries: sorted, each line the length (0–9) of the prefix it
//! shares with the line before, then the rest. 162 KB of text become 89 KB
//! in every function that validates passwords (the size budget is per
//! function); `credentials::validators` decodes it once.

fn main() {
    println!("cargo:rerun-if-changed=data/common-passwords.txt");
    let text = std::fs::read_to_string("data/common-passwords.txt").expect("the list");
    let mut words: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    words.sort_unstable();
    words.dedup();
    let mut out = String::with_capacity(text.len());
    let mut previous = "";
    for word in words {
        let mut shared = previous
            .bytes()
            .zip(word.bytes())
            .take_while(|(a, b)| a == b)
            .count()
            .min(9);
        while !word.is_char_boundary(shared) {
            shared -= 1;
        }
        out.push(char::from(b'0' + shared as u8));
        out.push_str(&word[shared..]);
        out.push('\n');
        previous = word;
    }
    let path = std::path::Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR"))
        .join("common-passwords.fc");
    std::fs::write(path, out).expect("write the coded list");
}
