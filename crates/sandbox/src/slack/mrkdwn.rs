//! Slack `mrkdwn` and `plain_text` turned into display spans for the inbox page: text with bold, italic,
//! strike and code styles, links (`<url|label>`, only http, https and mailto become anchors), mentions
//! (`<@U…>`, `<#C…>`, `<!here>`), preformatted blocks and line breaks. Spans hold raw text; the template
//! escapes it.

use std::collections::HashMap;

/// One piece of rendered text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Span {
    /// `text`, `link`, `pre` or `br`.
    pub kind: &'static str,
    /// The text shown.
    pub text: String,
    /// Link target (for `link`).
    pub href: String,
    /// CSS classes: `b`, `i`, `s`, `code`, `mention`.
    pub class: String,
}

impl Span {
    fn new(kind: &'static str, text: String, class: &str) -> Self {
        let href = String::new();
        let class = class.to_owned();
        Self {
            kind,
            text,
            href,
            class,
        }
    }
}

enum Tok {
    Ch(char),
    Ent(Span),
}

impl Tok {
    /// Whether a formatting marker next to this token is at a word boundary.
    fn boundary(&self) -> bool {
        matches!(self, Tok::Ch(c) if !c.is_alphanumeric())
    }

    fn is(&self, c: char) -> bool {
        matches!(self, Tok::Ch(x) if *x == c)
    }

    fn space(&self) -> bool {
        matches!(self, Tok::Ch(c) if c.is_whitespace())
    }

    fn text(&self) -> String {
        match self {
            Tok::Ch(c) => c.to_string(),
            Tok::Ent(span) => span.text.clone(),
        }
    }
}

/// Undo Slack's escaping of `&`, `<` and `>`.
fn decode(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A `<…>` entity: link, user or channel mention, or special mention.
fn entity(inner: &str, names: &HashMap<String, String>) -> Span {
    let (target, label) = match inner.split_once('|') {
        Some((t, l)) => (t, Some(decode(l))),
        None => (inner, None),
    };
    let named = |id: &str| {
        label
            .clone()
            .or_else(|| names.get(id).cloned())
            .unwrap_or(id.to_owned())
    };
    if let Some(id) = target.strip_prefix('@') {
        return Span::new("text", format!("@{}", named(id)), "mention");
    }
    if let Some(id) = target.strip_prefix('#') {
        return Span::new("text", format!("#{}", named(id)), "mention");
    }
    if let Some(special) = target.strip_prefix('!') {
        let cmd = special.split('^').next().unwrap_or(special);
        let text = label.clone().unwrap_or_else(|| format!("@{cmd}"));
        return Span::new("text", text, "mention");
    }
    let href = decode(target);
    let text = label.unwrap_or_else(|| href.clone());
    let lower = href.to_ascii_lowercase();
    if ["http://", "https://", "mailto:"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        Span {
            href,
            ..Span::new("link", text, "")
        }
    } else {
        Span::new("text", text, "")
    }
}

fn tokenize(src: &str, names: &HashMap<String, String>) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut rest = src;
    'outer: while let Some(c) = rest.chars().next() {
        if c == '<'
            && let Some(end) = rest.find('>')
            && !rest[1..end].contains(['<', '\n'])
        {
            toks.push(Tok::Ent(entity(&rest[1..end], names)));
            rest = &rest[end + 1..];
            continue;
        }
        for (escaped, ch) in [("&lt;", '<'), ("&gt;", '>'), ("&amp;", '&')] {
            if let Some(after) = rest.strip_prefix(escaped) {
                toks.push(Tok::Ch(ch));
                rest = after;
                continue 'outer;
            }
        }
        toks.push(Tok::Ch(c));
        rest = &rest[c.len_utf8()..];
    }
    toks
}

/// Index of the marker closing the one at `open`, on the same line.
fn closing(toks: &[Tok], open: usize, marker: char) -> Option<usize> {
    let mut k = open + 2;
    while k < toks.len() && !toks[k].is('\n') {
        if toks[k].is(marker) && !toks[k - 1].space() && toks.get(k + 1).is_none_or(Tok::boundary) {
            return Some(k);
        }
        k += 1;
    }
    None
}

/// Index of the ``` closing the one starting at `open`.
fn closing_fence(toks: &[Tok], open: usize) -> Option<usize> {
    let fence = |k: usize| (k..k + 3).all(|j| toks.get(j).is_some_and(|t| t.is('`')));
    (open + 3..toks.len()).find(|&k| fence(k))
}

/// Collects spans, merging characters of the same style.
#[derive(Default)]
struct Out {
    spans: Vec<Span>,
    text: String,
    styles: [bool; 3],
}

impl Out {
    fn class(&self) -> String {
        let names = ["b", "i", "s"];
        let on = names.iter().zip(self.styles).filter(|(_, on)| *on);
        on.map(|(n, _)| *n).collect::<Vec<_>>().join(" ")
    }

    fn flush(&mut self) {
        if !self.text.is_empty() {
            let text = std::mem::take(&mut self.text);
            self.spans.push(Span::new("text", text, &self.class()));
        }
    }

    fn push(&mut self, mut span: Span) {
        self.flush();
        let class = self.class();
        if !class.is_empty() {
            span.class = format!("{} {class}", span.class).trim().to_owned();
        }
        self.spans.push(span);
    }
}

fn joined(toks: &[Tok]) -> String {
    toks.iter().map(Tok::text).collect()
}

/// Render Slack `mrkdwn`; `names` maps user and channel ids to names for mentions.
pub(super) fn mrkdwn(src: &str, names: &HashMap<String, String>) -> Vec<Span> {
    let toks = tokenize(src, names);
    let mut out = Out::default();
    let mut i = 0;
    while i < toks.len() {
        match &toks[i] {
            Tok::Ent(span) => out.push(span.clone()),
            Tok::Ch('\n') => out.push(Span::new("br", String::new(), "")),
            Tok::Ch('`') => {
                let fence = toks.get(i + 1).is_some_and(|t| t.is('`'))
                    && toks.get(i + 2).is_some_and(|t| t.is('`'));
                if fence && let Some(end) = closing_fence(&toks, i) {
                    let body = joined(&toks[i + 3..end]);
                    out.push(Span::new("pre", body.trim_matches('\n').to_owned(), ""));
                    i = end + 3;
                    continue;
                }
                let end = (i + 2..toks.len())
                    .take_while(|&k| !toks[k].is('\n'))
                    .find(|&k| toks[k].is('`'));
                match end {
                    Some(end) => {
                        out.push(Span::new("text", joined(&toks[i + 1..end]), "code"));
                        i = end;
                    }
                    None => out.text.push('`'),
                }
            }
            Tok::Ch(c @ ('*' | '_' | '~')) => {
                let slot = match c {
                    '*' => 0,
                    '_' => 1,
                    _ => 2,
                };
                let prev_ok = i == 0 || toks[i - 1].boundary();
                let next_solid = toks.get(i + 1).is_some_and(|t| !t.space());
                let closes =
                    i > 0 && !toks[i - 1].space() && toks.get(i + 1).is_none_or(Tok::boundary);
                if out.styles[slot] && closes {
                    out.flush();
                    out.styles[slot] = false;
                } else if !out.styles[slot]
                    && prev_ok
                    && next_solid
                    && closing(&toks, i, *c).is_some()
                {
                    out.flush();
                    out.styles[slot] = true;
                } else {
                    out.text.push(*c);
                }
            }
            Tok::Ch(c) => out.text.push(*c),
        }
        i += 1;
    }
    out.flush();
    out.spans
}

/// Render `plain_text`: the text as is, with line breaks.
pub(super) fn plain(src: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    for (n, line) in src.split('\n').enumerate() {
        if n > 0 {
            spans.push(Span::new("br", String::new(), ""));
        }
        if !line.is_empty() {
            spans.push(Span::new("text", line.to_owned(), ""));
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(src: &str) -> Vec<(String, String, String)> {
        let names = HashMap::from([("U1".to_owned(), "ada".to_owned())]);
        let spans = mrkdwn(src, &names);
        spans
            .into_iter()
            .map(|s| (s.kind.to_owned() + ":" + &s.class, s.text, s.href))
            .collect()
    }

    #[test]
    fn styles_links_and_mentions() {
        let got = render("Hi <@U1>, *see <https://x.test/a_b?c=1&amp;d=2|PROJ-1>* now");
        let want = [
            ("text:", "Hi ", ""),
            ("text:mention", "@ada", ""),
            ("text:", ", ", ""),
            ("text:b", "see ", ""),
            ("link:b", "PROJ-1", "https://x.test/a_b?c=1&d=2"),
            ("text:", " now", ""),
        ];
        let want: Vec<_> = want
            .iter()
            .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn unsafe_links_are_text_and_escapes_decode() {
        let got = render("<javascript:alert(1)|x> &lt;b&gt; snake_case_name 2*3*4");
        assert_eq!(got[0], ("text:".into(), "x".into(), String::new()));
        assert_eq!(got[1].1, " <b> snake_case_name 2*3*4");
    }

    #[test]
    fn code_and_pre() {
        let got = render("a `*x*` b\n```\nline &lt;1&gt;\n```");
        assert_eq!(got[1], ("text:code".into(), "*x*".into(), String::new()));
        assert_eq!(got.last().map(|s| s.1.as_str()), Some("line <1>"));
    }
}
