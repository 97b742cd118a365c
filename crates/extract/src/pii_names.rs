//! The PII scan's first signal: what a column's name says. Names are split into words (snake_case, kebab-case,
//! camelCase, spaces, digits), and rules match whole words or word sequences, so `state` never matches `statement`
//! and `tel` never matches `hotel`. Value patterns (the second signal) look at a sample of the data itself.

use serde::{Deserialize, Serialize};

/// A kind of personal data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// E-mail address.
    Email,
    /// Phone or fax number.
    Phone,
    /// Person's name.
    Name,
    /// Street address.
    Address,
    /// Postal code.
    PostalCode,
    /// Date of birth.
    DateOfBirth,
    /// Payment card number.
    CardNumber,
    /// Bank account (IBAN).
    Iban,
    /// National identifier (social security, passport, tax id).
    NationalId,
    /// IP address.
    IpAddress,
    /// Special category (GDPR art. 9): health, religion, ethnicity, sexual orientation, political opinion,
    /// biometrics, trade union membership. Blocking: needs an explicit decision.
    Special,
}

impl Category {
    /// Every category, in declaration order (`c as usize` indexes it).
    pub const ALL: [Category; 11] = [
        Category::Email,
        Category::Phone,
        Category::Name,
        Category::Address,
        Category::PostalCode,
        Category::DateOfBirth,
        Category::CardNumber,
        Category::Iban,
        Category::NationalId,
        Category::IpAddress,
        Category::Special,
    ];

    /// Special categories block approval until a privacy officer decides explicitly.
    pub fn blocking(self) -> bool {
        self == Category::Special
    }
}

/// The words of a column name, lower case.
pub fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Rules: a category and the word sequences that indicate it (every word of a sequence, adjacent and in order).
const RULES: &[(Category, &[&[&str]])] = &[
    (Category::Email, &[&["email"], &["mail"], &["e", "mail"]]),
    (
        Category::Phone,
        &[
            &["phone"],
            &["telephone"],
            &["tel"],
            &["mobile"],
            &["fax"],
            &["msisdn"],
        ],
    ),
    (
        Category::Name,
        &[
            &["first", "name"],
            &["last", "name"],
            &["full", "name"],
            &["given", "name"],
            &["family", "name"],
            &["surname"],
            &["firstname"],
            &["lastname"],
            &["fullname"],
            &["maiden", "name"],
        ],
    ),
    (Category::Address, &[&["address"], &["street"], &["addr"]]),
    (
        Category::PostalCode,
        &[&["zip"], &["zipcode"], &["postcode"], &["postal"], &["plz"]],
    ),
    (
        Category::DateOfBirth,
        &[
            &["dob"],
            &["birth"],
            &["birthday"],
            &["birthdate"],
            &["born"],
            &["date", "of", "birth"],
        ],
    ),
    (
        Category::CardNumber,
        &[
            &["card", "number"],
            &["card", "no"],
            &["pan"],
            &["cc", "number"],
            &["credit", "card"],
        ],
    ),
    (
        Category::Iban,
        &[&["iban"], &["account", "number"], &["bank", "account"]],
    ),
    (
        Category::NationalId,
        &[
            &["ssn"],
            &["social", "security"],
            &["passport"],
            &["national", "id"],
            &["tax", "id"],
            &["nin"],
            &["personal", "number"],
            &["id", "card"],
            &["bsn"],
            &["burgerservicenummer"],
        ],
    ),
    (
        Category::IpAddress,
        &[&["ip"], &["ipv4"], &["ipv6"], &["ip", "address"]],
    ),
    (
        Category::Special,
        &[
            &["health"],
            &["diagnosis"],
            &["medical"],
            &["disease"],
            &["medication"],
            &["religion"],
            &["religious"],
            &["ethnicity"],
            &["ethnic"],
            &["race"],
            &["sexual"],
            &["orientation"],
            &["political"],
            &["biometric"],
            &["fingerprint"],
            &["union", "member"],
            &["trade", "union"],
        ],
    ),
];

/// The categories a column's name suggests (empty for `state`, `order_amount`, `statement_date`…).
pub fn categories(column: &str) -> Vec<Category> {
    let w = words(column);
    let mut found: Vec<Category> = RULES
        .iter()
        .filter(|(_, seqs)| {
            seqs.iter()
                .any(|seq| w.windows(seq.len()).any(|win| win == *seq))
        })
        .map(|(c, _)| *c)
        .collect();
    // A column called just "name" (or "<person>_name") is a name; "product_name" is not.
    let person = [
        "customer", "user", "contact", "person", "employee", "client", "patient", "owner",
    ];
    if (w == ["name"] || (w.len() == 2 && w[1] == "name" && person.contains(&w[0].as_str())))
        && !found.contains(&Category::Name)
    {
        found.push(Category::Name);
    }
    // "ip_address" is an IP address, not a street address.
    if w.windows(2).any(|p| p == ["ip", "address"])
        && !w.iter().any(|x| x == "street" || x == "addr")
    {
        found.retain(|c| *c != Category::Address);
    }
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_every_naming_style() {
        assert_eq!(words("customerEmail"), ["customer", "email"]);
        assert_eq!(words("date_of_birth"), ["date", "of", "birth"]);
        assert_eq!(words("Zip-Code 2"), ["zip", "code", "2"]);
        assert_eq!(words("IPAddress"), ["ipaddress"]);
        assert_eq!(words("ip_address"), ["ip", "address"]);
    }

    #[test]
    fn names_that_say_personal_data() {
        use Category::*;
        for (column, expected) in [
            ("email", vec![Email]),
            ("customer_email", vec![Email]),
            ("eMail", vec![Email]),
            ("phone_number", vec![Phone]),
            ("mobileNo", vec![Phone]),
            ("first_name", vec![Name]),
            ("name", vec![Name]),
            ("customer_name", vec![Name]),
            ("street_address", vec![Address]),
            ("zip", vec![PostalCode]),
            ("postcode", vec![PostalCode]),
            ("date_of_birth", vec![DateOfBirth]),
            ("dob", vec![DateOfBirth]),
            ("card_number", vec![CardNumber]),
            ("iban", vec![Iban]),
            ("ssn", vec![NationalId]),
            ("passport_no", vec![NationalId]),
            ("klant_bsn", vec![NationalId]),
            ("ip_address", vec![IpAddress]),
            ("last_login_ip", vec![IpAddress]),
            ("diagnosis_code", vec![Special]),
            ("religion", vec![Special]),
        ] {
            assert_eq!(categories(column), expected, "{column}");
        }
        assert!(categories("health_notes")[0].blocking());
    }

    #[test]
    fn names_that_do_not() {
        for column in [
            "state",
            "statement",
            "statement_date",
            "status",
            "order_amount",
            "amount",
            "hotel",
            "product_name",
            "country",
            "created_at",
            "id",
            "order_id",
            "total",
            "ship",
            "zipper_size",
            "email_opt_in_count",
        ] {
            let found = categories(column);
            let allowed = column == "email_opt_in_count"; // still says "email": flagged, the values decide
            assert!(found.is_empty() || allowed, "{column}: {found:?}");
        }
    }
}

#[cfg(test)]
mod all_tests {
    use super::Category;

    #[test]
    fn all_lists_each_category_at_its_index() {
        for (i, c) in Category::ALL.iter().enumerate() {
            assert_eq!(*c as usize, i, "{c:?}");
            // A new category fails to compile here until it is added to `ALL`.
            match c {
                Category::Email
                | Category::Phone
                | Category::Name
                | Category::Address
                | Category::PostalCode
                | Category::DateOfBirth
                | Category::CardNumber
                | Category::Iban
                | Category::NationalId
                | Category::IpAddress
                | Category::Special => {}
            }
        }
    }
}
