//! A small, bounded XML reader for reports: element names (local part,
//! lowercased; namespaces ignored), their text, and their children. The
//! root's children are handed over one at a time as they close, so a
//! report with a million `<record>`s never sits in memory whole. No DTD
//! is read and no entity is expanded beyond the five XML predefines them
//! and character references: an entity-expansion bomb is plain text.

use quick_xml::events::Event;
use quick_xml::Reader;

/// Nesting read; deeper elements are skipped.
const MAX_DEPTH: usize = 32;
/// Elements one root child may hold.
const MAX_NODES: usize = 100_000;

/// One element.
#[derive(Debug, Default, Clone)]
pub(crate) struct Node {
    pub name: String,
    pub text: String,
    pub children: Vec<Node>,
}

impl Node {
    /// The first child of that name.
    pub(crate) fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// All children of that name.
    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text of the child at `path`; None when absent or empty.
    pub(crate) fn text_at(&self, path: &[&str]) -> Option<String> {
        let mut n = self;
        for p in path {
            n = n.child(p)?;
        }
        let t = n.text.trim();
        (!t.is_empty()).then(|| t.to_string())
    }
}

/// Reads `doc`: the root's name, then each of its children to `each` as
/// it closes; and a warning when the document was cut short. Errors are
/// the XML's, with where.
pub(crate) fn read(doc: &[u8], mut each: impl FnMut(Node)) -> Result<(String, Option<String>), String> {
    let mut reader = Reader::from_reader(doc);
    reader.config_mut().trim_text(false);
    // Reports in the wild leave elements unclosed (`<email><a@b></email>`):
    // an end tag closes the nearest open element of its name, as HTML
    // parsers recover, and one that matches none is passed over.
    reader.config_mut().check_end_names = false;
    let mut stack: Vec<Node> = Vec::new();
    let mut root = None;
    let mut nodes = 0usize;
    let mut skipped_depth = 0usize;
    let mut broken = None;
    loop {
        let ev = match reader.read_event() {
            Ok(ev) => ev,
            // Broken from here on: what came before is kept.
            Err(e) => {
                broken = Some(format!("invalid XML at byte {}: {e}; what came before is kept", reader.buffer_position()));
                break;
            }
        };
        match ev {
            Event::Start(e) => {
                if stack.len() >= MAX_DEPTH || skipped_depth > 0 {
                    skipped_depth += 1;
                    continue;
                }
                let name = String::from_utf8_lossy(e.local_name().as_ref()).to_ascii_lowercase();
                if root.is_none() {
                    root = Some(name.clone());
                }
                nodes += 1;
                stack.push(Node { name, ..Default::default() });
            }
            Event::Empty(e) => {
                if let Some(top) = stack.last_mut() {
                    if nodes < MAX_NODES && skipped_depth == 0 {
                        nodes += 1;
                        top.children.push(Node { name: String::from_utf8_lossy(e.local_name().as_ref()).to_ascii_lowercase(), ..Default::default() });
                    }
                } else if root.is_none() {
                    root = Some(String::from_utf8_lossy(e.local_name().as_ref()).to_ascii_lowercase());
                }
            }
            Event::End(e) => {
                if skipped_depth > 0 {
                    skipped_depth -= 1;
                    continue;
                }
                let name = String::from_utf8_lossy(e.local_name().as_ref()).to_ascii_lowercase();
                let Some(at) = stack.iter().rposition(|n| n.name == name) else { continue };
                close(&mut stack, at, &mut nodes, &mut each);
            }
            Event::Text(t) => {
                if let (Some(top), 0) = (stack.last_mut(), skipped_depth) {
                    // Bytes that are not UTF-8 are dropped, as parsedmarc does.
                    top.text.extend(String::from_utf8_lossy(t.as_ref()).chars().filter(|c| *c != char::REPLACEMENT_CHARACTER));
                }
            }
            Event::CData(t) => {
                if let (Some(top), 0) = (stack.last_mut(), skipped_depth) {
                    top.text.push_str(&String::from_utf8_lossy(t.as_ref()));
                }
            }
            Event::GeneralRef(r) => {
                if let (Some(top), 0) = (stack.last_mut(), skipped_depth) {
                    if let Ok(Some(c)) = r.resolve_char_ref() {
                        top.text.push(c);
                    } else if let Some(s) = quick_xml::escape::resolve_xml_entity(&String::from_utf8_lossy(r.as_ref())) {
                        top.text.push_str(s);
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    // A document cut short: what was read is kept, the open elements
    // closed, and the caller told.
    let truncated = broken.or_else(|| stack.last().map(|n| format!("the document ends inside <{}>: what came before is kept", n.name)));
    close(&mut stack, 0, &mut nodes, &mut each);
    let root = root.ok_or_else(|| "no XML element".to_string())?;
    Ok((root, truncated))
}

/// Closes the open elements down to depth `at`: a child of the root goes to
/// `each`, a deeper one into its parent (up to [`MAX_NODES`]).
fn close(stack: &mut Vec<Node>, at: usize, nodes: &mut usize, each: &mut impl FnMut(Node)) {
    while stack.len() > at {
        let done = stack.pop().expect("an open element");
        match stack.len() {
            0 => {}
            1 => {
                each(done);
                *nodes = 1;
            }
            _ => {
                if *nodes < MAX_NODES {
                    stack.last_mut().expect("a parent").children.push(done);
                }
            }
        }
    }
}
