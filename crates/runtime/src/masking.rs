//! Personal data as read models and logs may show it. Input that does not
//! look like what it claims to be is masked whole: a mistyped resident ID is
//! still someone's resident ID.

/// `330*************2X`: the first 3 characters (the province) and the last 2.
pub fn resident_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() != 18 || !chars.iter().all(char::is_ascii_alphanumeric) {
        return "******".to_owned();
    }
    keep_ends(&chars, 3, 2)
}

/// `138****1234`: a mainland mobile number's first 3 and last 4 digits.
pub fn phone(number: &str) -> String {
    let digits: Vec<char> = number.chars().collect();
    if digits.len() != 11 || !digits.iter().all(char::is_ascii_digit) {
        return "***".to_owned();
    }
    keep_ends(&digits, 3, 4)
}

/// `****1234`: a bank or payment account's last 4 digits, whatever its length.
pub fn account(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(|c| *c != ' ').collect();
    if !(8..=34).contains(&digits.len()) || !digits.iter().all(char::is_ascii_alphanumeric) {
        return "****".to_owned();
    }
    let tail: String = digits[digits.len() - 4..].iter().collect();
    format!("****{tail}")
}

fn keep_ends(chars: &[char], head: usize, tail: usize) -> String {
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < head || i >= chars.len() - tail {
                *c
            } else {
                '*'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_numbers_keep_only_their_ends() {
        assert_eq!(resident_id("33030219900307123X"), "330*************3X");
        assert_eq!(phone("13805771234"), "138****1234");
        assert_eq!(account("6222 0212 3456 7890"), "****7890");
    }

    #[test]
    fn malformed_numbers_are_masked_whole() {
        assert_eq!(resident_id("3303021990030712"), "******");
        assert_eq!(resident_id("33030219900307123X\u{0}"), "******");
        assert_eq!(phone("+8613805771234"), "***");
        assert_eq!(phone("1380577123"), "***");
        assert_eq!(account("123"), "****");
        assert_eq!(account("我的账户号码是一二三四五六七八"), "****");
    }
}
