//! A tokenizer for mail in any script: words of letters, digits and
//! underscores (an identifier such as `gmu_power_collapse` is one word, as in
//! Xapian, so notmuch and mu find the same messages for the same query), and
//! runs of Chinese, Japanese or Korean characters (which have no spaces
//! between words) as overlapping bigrams, as Lucene's CJKBigramFilter does.
//! `会議資料` indexes as `会議`, `議資`, `資料`, so a search for `会議` or
//! `資料` finds it, and a search for `会議資料` is the phrase of its bigrams.
//! A lone CJK character is a token of its own.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Han, Hiragana, Katakana (full and half width) and Hangul.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // Hiragana, Katakana
        | 0x31F0..=0x31FF    // Katakana phonetic extensions
        | 0x3400..=0x4DBF    // Han extension A
        | 0x4E00..=0x9FFF    // Han
        | 0xF900..=0xFAFF    // Han compatibility
        | 0xFF66..=0xFF9F    // half-width Katakana
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0x1100..=0x11FF    // Hangul Jamo
        | 0x3130..=0x318F    // Hangul compatibility Jamo
        | 0x20000..=0x2A6DF  // Han extension B
    )
}

#[derive(Clone, Default)]
pub(crate) struct CjkBigramTokenizer {
    token: Token,
}

/// Streams tokens without collecting the text: bodies are the hot path of
/// indexing. ASCII is read byte by byte (most mail is ASCII; decoding every
/// character made this tokenizer 15% of an ingest's instructions), and
/// tokens come out lowercased, so the analyzer needs no LowerCaser.
pub(crate) struct CjkTokenStream<'a> {
    text: &'a str,
    /// Byte offset of the next character to read.
    pos: usize,
    /// Offset of the previous character of the CJK run being read.
    cjk_prev: Option<usize>,
    token: &'a mut Token,
}

impl Tokenizer for CjkBigramTokenizer {
    type TokenStream<'a> = CjkTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> CjkTokenStream<'a> {
        self.token.reset();
        CjkTokenStream { text, pos: 0, cjk_prev: None, token: &mut self.token }
    }
}

/// The character starting at byte `at` of `text` (a char boundary).
fn char_at(text: &str, at: usize) -> Option<char> {
    text.get(at..).and_then(|t| t.chars().next())
}

impl CjkTokenStream<'_> {
    fn emit(&mut self, from: usize, to: usize) -> bool {
        self.token.offset_from = from;
        self.token.offset_to = to;
        let word = &self.text[from..to];
        if word.is_ascii() {
            self.token.text.push_str(word);
            self.token.text.make_ascii_lowercase();
        } else {
            // str's lowercasing knows the Greek final sigma; char's does not.
            self.token.text.push_str(&word.to_lowercase());
        }
        true
    }

    /// Where the word whose characters up to `to` are read ends: letters,
    /// digits and underscores, not CJK.
    fn word_end(&self, mut to: usize) -> usize {
        let bytes = self.text.as_bytes();
        while let Some(&b) = bytes.get(to) {
            if b.is_ascii() {
                if !b.is_ascii_alphanumeric() && b != b'_' {
                    break;
                }
                to += 1;
            } else {
                match char_at(self.text, to) {
                    Some(c) if c.is_alphanumeric() && !is_cjk(c) => to += c.len_utf8(),
                    _ => break,
                }
            }
        }
        to
    }
}

impl TokenStream for CjkTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.token.text.clear();
        self.token.position = self.token.position.wrapping_add(1);
        let bytes = self.text.as_bytes();
        while let Some(&b) = bytes.get(self.pos) {
            let offset = self.pos;
            if b.is_ascii() {
                self.pos += 1;
                if b.is_ascii_alphanumeric() {
                    self.pos = self.word_end(self.pos);
                    return self.emit(offset, self.pos);
                }
                continue;
            }
            let Some(c) = char_at(self.text, offset) else { break };
            let end = offset + c.len_utf8();
            self.pos = end;
            if is_cjk(c) {
                let next_is_cjk = char_at(self.text, end).is_some_and(is_cjk);
                match self.cjk_prev {
                    // The bigram of the previous character and this one.
                    Some(prev) => {
                        self.cjk_prev = next_is_cjk.then_some(offset);
                        return self.emit(prev, end);
                    }
                    // A run starts: wait for its second character.
                    None if next_is_cjk => self.cjk_prev = Some(offset),
                    // A lone character.
                    None => return self.emit(offset, end),
                }
            } else if c.is_alphanumeric() {
                self.pos = self.word_end(end);
                return self.emit(offset, self.pos);
            }
        }
        false
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(s: &str) -> Vec<Token> {
        let mut tok = CjkBigramTokenizer::default();
        let mut stream = tok.token_stream(s);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().clone());
        }
        out
    }

    fn texts(s: &str) -> Vec<String> {
        tokens(s).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn words_and_bigrams() {
        assert_eq!(texts("会議資料の件"), ["会議", "議資", "資料", "料の", "の件"]);
        assert_eq!(texts("Re: 会議 invoice-117"), ["re", "会議", "invoice", "117"]);
        assert_eq!(texts("テストです①"), ["テス", "スト", "トで", "です", "①"]);
        assert_eq!(texts("版"), ["版"]);
        assert_eq!(texts("안녕하세요 world"), ["안녕", "녕하", "하세", "세요", "world"]);
        assert_eq!(texts("Café, NAÏVE"), ["café", "naïve"]);
        assert_eq!(texts("ÉtéX会議ab"), ["étéx", "会議", "ab"]);
        assert_eq!(texts("ΟΔΟΣ οδος"), ["οδος", "οδος"]);
        assert_eq!(texts("a6xx_gmu_Power_collapse() __init power-collapse"), ["a6xx_gmu_power_collapse", "init", "power", "collapse"]);
        let t = tokens("a 会議資料");
        assert_eq!((t[1].offset_from, t[1].offset_to, t[1].position), (2, 8, 1));
        assert_eq!((t[3].text.as_str(), t[3].position), ("資料", 3));
        assert_eq!(texts("会議 資料"), ["会議", "資料"]);
    }
}
