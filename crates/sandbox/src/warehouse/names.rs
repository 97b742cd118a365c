//! Embedded word lists per country: names, cities with postal prefixes, streets, mail domains and phone prefixes.
//!
//! Small on purpose (a few dozen entries each): enough for plausible, varied rows, and the same on every machine.
//! Lists are written as `|`-separated strings to keep this file short and split once on first use.

use std::sync::LazyLock;

/// How a country writes postal codes; the city's prefix comes first in every style.
#[derive(Clone, Copy, Debug)]
pub(crate) enum PostalStyle {
    /// All digits, this many in total (DE, FR, ES: 5; BE: 4).
    Digits(usize),
    /// Dutch `1234 AB`: four digits, a space, two letters.
    Dutch,
    /// British `SW1 4AB`: area letters, district number, a space, a digit and two letters.
    British,
}

/// Where the house number goes relative to the street name.
#[derive(Clone, Copy, Debug)]
pub(crate) enum StreetStyle {
    /// `Hauptstraße 12`
    NameNumber,
    /// `Calle Mayor, 12`
    NameCommaNumber,
    /// `12 rue de la Paix`, `12 High Street`
    NumberName,
}

/// A country as written in this file.
struct Spec {
    code: &'static str,
    weight: u32,
    currency: &'static str,
    debit_method: &'static str,
    first_names: &'static str,
    last_names: &'static str,
    /// `city prefix|city prefix|…`: the last word of each entry is the postal code prefix.
    cities: &'static str,
    streets: &'static str,
    street_style: StreetStyle,
    postal: PostalStyle,
    mail_domains: &'static str,
    phone_prefixes: &'static str,
    phone_digits: usize,
}

/// Everything the generator needs to make a person from one country.
#[derive(Debug)]
pub(crate) struct Country {
    /// ISO 3166-1 alpha-2 code, also the IBAN country.
    pub code: &'static str,
    /// Relative share of customers.
    pub weight: u32,
    /// ISO 4217 currency of orders.
    pub currency: &'static str,
    /// Payment method name for a direct debit from a bank account.
    pub debit_method: &'static str,
    pub first_names: Vec<&'static str>,
    pub last_names: Vec<&'static str>,
    /// `(city, postal code prefix)`.
    pub cities: Vec<(&'static str, &'static str)>,
    pub streets: Vec<&'static str>,
    pub street_style: StreetStyle,
    pub postal: PostalStyle,
    /// Local mail providers (the international ones are in [`GLOBAL_MAIL_DOMAINS`]).
    pub mail_domains: Vec<&'static str>,
    /// E.164 mobile prefixes including `+` and the country code.
    pub phone_prefixes: Vec<&'static str>,
    /// Digits after the prefix.
    pub phone_digits: usize,
}

/// Mail providers used in every country.
pub(crate) const GLOBAL_MAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "outlook.com",
    "yahoo.com",
    "icloud.com",
    "hotmail.com",
    "proton.me",
];

/// The countries customers come from, in a fixed order.
pub(crate) fn countries() -> &'static [Country] {
    static PARSED: LazyLock<Vec<Country>> = LazyLock::new(|| SPECS.iter().map(parse).collect());
    &PARSED
}

fn list(s: &'static str) -> Vec<&'static str> {
    s.split('|').map(str::trim).collect()
}

fn parse(s: &Spec) -> Country {
    Country {
        code: s.code,
        weight: s.weight,
        currency: s.currency,
        debit_method: s.debit_method,
        first_names: list(s.first_names),
        last_names: list(s.last_names),
        cities: list(s.cities)
            .into_iter()
            .map(|c| c.rsplit_once(' ').unwrap_or((c, "")))
            .collect(),
        streets: list(s.streets),
        street_style: s.street_style,
        postal: s.postal,
        mail_domains: list(s.mail_domains),
        phone_prefixes: list(s.phone_prefixes),
        phone_digits: s.phone_digits,
    }
}

/// The countries customers come from.
const SPECS: &[Spec] = &[
    Spec {
        code: "DE",
        weight: 30,
        currency: "EUR",
        debit_method: "sepa_debit",
        first_names: "Anna|Lena|Marie|Sophie|Julia|Katrin|Sabine|Ursula|Jana|Hannah|Lukas|Jonas|Felix|\
            Maximilian|Jürgen|Thomas|Stefan|Michael|Klaus|Wolfgang|Tobias|Sebastian|Björn|Jörg",
        last_names: "Müller|Schmidt|Schneider|Fischer|Weber|Meyer|Wagner|Becker|Schulz|Hoffmann|Schäfer|Koch|\
            Bauer|Richter|Klein|Wolf|Schröder|Neumann|Schwarz|Zimmermann|Braun|Krüger|Hofmann|\
            Hartmann",
        cities: "Berlin 10|Hamburg 20|München 80|Köln 50|Frankfurt am Main 60|Stuttgart 70|Düsseldorf 40|\
            Leipzig 04|Dresden 01|Bremen 28|Hannover 30|Nürnberg 90",
        streets: "Hauptstraße|Schulstraße|Gartenstraße|Bahnhofstraße|Dorfstraße|Bergstraße|Lindenstraße|\
            Birkenweg|Am Markt|Goethestraße|Schillerstraße|Kirchweg",
        street_style: StreetStyle::NameNumber,
        postal: PostalStyle::Digits(5),
        mail_domains: "web.de|gmx.de|t-online.de|posteo.de",
        phone_prefixes: "+49151|+49152|+49157|+49160|+49170|+49171|+49176",
        phone_digits: 8,
    },
    Spec {
        code: "FR",
        weight: 20,
        currency: "EUR",
        debit_method: "sepa_debit",
        first_names: "Camille|Léa|Manon|Chloé|Hélène|Inès|Élodie|Sophie|Claire|Amélie|Louis|Hugo|Gabriel|\
            Jules|Théo|François|Nicolas|Julien|Mathieu|Antoine|Jérôme|Sébastien",
        last_names: "Martin|Bernard|Dubois|Thomas|Robert|Richard|Petit|Durand|Leroy|Moreau|Simon|Laurent|\
            Lefèvre|Michel|Garcia|David|Bertrand|Roux|Fontaine|Chevalier|Girard|Bonnet",
        cities: "Paris 75|Marseille 13|Lyon 69|Toulouse 31|Nice 06|Nantes 44|Strasbourg 67|\
            Montpellier 34|Bordeaux 33|Lille 59|Rennes 35|Besançon 25",
        streets: "rue de la Paix|rue Victor Hugo|avenue Jean Jaurès|rue de la République|\
            boulevard Voltaire|rue Pasteur|place de l'Église|rue des Écoles|allée des Tilleuls|\
            chemin du Moulin|rue Nationale|avenue de la Gare",
        street_style: StreetStyle::NumberName,
        postal: PostalStyle::Digits(5),
        mail_domains: "orange.fr|free.fr|laposte.net|sfr.fr|wanadoo.fr",
        phone_prefixes: "+336|+337",
        phone_digits: 8,
    },
    Spec {
        code: "GB",
        weight: 20,
        currency: "GBP",
        debit_method: "direct_debit",
        first_names: "Olivia|Amelia|Isla|Emily|Grace|Charlotte|Sarah|Rachel|Siobhan|Niamh|Oliver|George|Harry|\
            Jack|Noah|James|William|David|Owen|Callum|Rhys|Declan",
        last_names: "Smith|Jones|Taylor|Brown|Williams|Wilson|Johnson|Davies|Robinson|Wright|Thompson|Evans|\
            Walker|White|Roberts|Green|Hall|Wood|Jackson|Clarke|O'Brien|McDonald",
        cities: "London SW|London N|Manchester M|Birmingham B|Leeds LS|Glasgow G|Bristol BS|Edinburgh EH|\
            Liverpool L|Cardiff CF|Belfast BT|Sheffield S",
        streets: "High Street|Station Road|Church Lane|Victoria Road|Green Lane|Manor Road|Park Avenue|\
            Kings Road|Queensway|Mill Lane|The Crescent|Albert Street",
        street_style: StreetStyle::NumberName,
        postal: PostalStyle::British,
        mail_domains: "btinternet.com|hotmail.co.uk|sky.com|yahoo.co.uk",
        phone_prefixes: "+447",
        phone_digits: 9,
    },
    Spec {
        code: "NL",
        weight: 12,
        currency: "EUR",
        debit_method: "sepa_debit",
        first_names: "Emma|Julia|Sanne|Fleur|Anouk|Lotte|Eva|Sophie|Noor|Femke|Daan|Sem|Lucas|Bram|Thijs|\
            Jeroen|Pieter|Joost|Ruben|Sven",
        last_names: "de Jong|Jansen|de Vries|van den Berg|van Dijk|Bakker|Janssen|Visser|Smit|Meijer|de Boer|\
            Mulder|de Groot|Bos|Vos|Peters|Hendriks|van Leeuwen|Dekker|Brouwer",
        cities: "Amsterdam 10|Rotterdam 30|Den Haag 25|Utrecht 35|Eindhoven 56|Groningen 97|Tilburg 50|\
            Almere 13|Breda 48|Nijmegen 65",
        streets: "Kerkstraat|Dorpsstraat|Molenweg|Stationsweg|Schoolstraat|Julianastraat|Beatrixlaan|\
            Nieuwstraat|Prinsengracht|Wilhelminastraat",
        street_style: StreetStyle::NameNumber,
        postal: PostalStyle::Dutch,
        mail_domains: "ziggo.nl|kpnmail.nl|planet.nl|xs4all.nl",
        phone_prefixes: "+316",
        phone_digits: 8,
    },
    Spec {
        code: "ES",
        weight: 10,
        currency: "EUR",
        debit_method: "sepa_debit",
        first_names: "Lucía|María|Carmen|Sofía|Paula|Elena|Marta|Nuria|Ainhoa|Alba|Hugo|Martín|Pablo|Álvaro|\
            Javier|José|Sergio|Adrián|Íñigo|Raúl",
        last_names: "García|Fernández|González|Rodríguez|López|Martínez|Sánchez|Pérez|Gómez|Martín|Jiménez|\
            Ruiz|Hernández|Díaz|Moreno|Muñoz|Álvarez|Romero|Navarro|Peña",
        cities: "Madrid 28|Barcelona 08|Valencia 46|Sevilla 41|Zaragoza 50|Málaga 29|Bilbao 48|\
            Alicante 03|Córdoba 14|A Coruña 15",
        streets: "Calle Mayor|Calle Real|Avenida de la Constitución|Calle del Sol|Plaza de España|\
            Calle San Juan|Paseo de Gracia|Calle de Alcalá|Avenida Diagonal|Calle Nueva",
        street_style: StreetStyle::NameCommaNumber,
        postal: PostalStyle::Digits(5),
        mail_domains: "hotmail.es|telefonica.net|yahoo.es",
        phone_prefixes: "+346|+347",
        phone_digits: 8,
    },
    Spec {
        code: "BE",
        weight: 8,
        currency: "EUR",
        debit_method: "sepa_debit",
        first_names: "Louise|Elise|Marie|Noémie|Lotte|Fien|Margaux|Zoë|Arthur|Louis|Noah|Lars|Wout|Maxime|\
            Gaëtan|Pieter-Jan",
        last_names: "Peeters|Janssens|Maes|Jacobs|Mertens|Willems|Claes|Goossens|Wouters|De Smet|Dubois|\
            Lambert|Dupont|Van Damme|Lemaire|Vermeulen",
        cities: "Bruxelles 10|Antwerpen 20|Gent 90|Liège 40|Charleroi 60|Brugge 80|Leuven 30|Namur 50",
        streets: "Kerkstraat|Stationsstraat|Rue de la Station|Rue Neuve|Dorpstraat|Chaussée de Wavre|\
            Molenstraat|Avenue Louise",
        street_style: StreetStyle::NameNumber,
        postal: PostalStyle::Digits(4),
        mail_domains: "telenet.be|skynet.be|proximus.be",
        phone_prefixes: "+324",
        phone_digits: 8,
    },
];

/// Lower-case ASCII for e-mail local parts: accents folded, `ß` → `ss`, anything else non-alphanumeric dropped.
pub(crate) fn ascii_fold(name: &str, out: &mut String) {
    for c in name.chars() {
        let folded: &str = match c {
            'a'..='z' | '0'..='9' => {
                out.push(c);
                continue;
            }
            'A'..='Z' => {
                out.push(c.to_ascii_lowercase());
                continue;
            }
            'ä' | 'á' | 'à' | 'â' | 'Á' | 'Ä' => "a",
            'é' | 'è' | 'ê' | 'ë' | 'É' => "e",
            'í' | 'î' | 'ï' | 'Í' => "i",
            'ö' | 'ó' | 'ô' | 'Ö' | 'Ó' => "o",
            'ü' | 'ú' | 'û' | 'Ü' => "u",
            'ñ' => "n",
            'ç' => "c",
            'ß' => "ss",
            _ => "",
        };
        out.push_str(folded);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_gives_plain_ascii() {
        let mut s = String::new();
        ascii_fold("Íñigo Müller-Lefèvre O'Brien ß", &mut s);
        assert_eq!(s, "inigomullerlefevreobrienss");
    }

    #[test]
    fn every_name_folds_to_something() {
        for c in countries() {
            for name in c.first_names.iter().chain(&c.last_names) {
                let mut s = String::new();
                ascii_fold(name, &mut s);
                assert!(s.len() >= 2, "{name} folds to {s:?}");
                assert!(
                    s.bytes().all(|b| b.is_ascii_lowercase()),
                    "{name} folds to {s:?}"
                );
            }
        }
    }
}
