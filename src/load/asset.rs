//! Attachments (every file of the vault that is not a page): whether one can run script when
//! a reader opens it from the site. HTML and JavaScript files can by what they are; an SVG
//! image can when it holds script, event attributes, `foreignObject` or a script URL, which a
//! real XML parser (roxmltree) finds, entities expanded.

use std::path::Path;

/// Why the attachment at `path` can run script when opened, if it can; `Err` when it cannot
/// be read.
pub fn active(path: &Path) -> std::io::Result<Option<String>> {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "html" | "htm" | "xhtml" | "xht" | "shtml" => {
            Ok(Some("a browser runs the script an HTML file holds".into()))
        }
        "js" | "mjs" | "cjs" => Ok(Some("it is a script".into())),
        "svg" | "svgz" => {
            let bytes = std::fs::read(path)?;
            Ok(svg_activity(&bytes))
        }
        _ => {
            // Only readability is at stake: the build copies it.
            std::fs::File::open(path).map(|_| None)
        }
    }
}

/// Elements of an SVG that run or embed script or other documents.
const ACTIVE_ELEMENTS: &[&str] = &[
    "script",
    "foreignobject",
    "iframe",
    "embed",
    "object",
    "handler",
    "listener",
];

/// Elements that can set an attribute (`href`, an event) to a value of their choosing.
const ANIMATIONS: &[&str] = &["set", "animate", "animatetransform", "animatemotion"];

/// Why an SVG file's bytes can run script, if they can. A file that is not well-formed XML
/// (or is compressed) cannot be judged, and counts as able to.
fn svg_activity(bytes: &[u8]) -> Option<String> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Some("it is not UTF-8 XML, so what it holds cannot be judged".into());
    };
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        nodes_limit: 1 << 20,
        ..roxmltree::ParsingOptions::default()
    };
    let document = match roxmltree::Document::parse_with_options(text, options) {
        Ok(document) => document,
        Err(e) => {
            return Some(format!(
                "it is not well-formed XML ({e}), so what it holds cannot be judged"
            ))
        }
    };
    for node in document.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name().name().to_ascii_lowercase();
        if ACTIVE_ELEMENTS.contains(&name.as_str()) {
            return Some(format!("it holds a `<{}>` element", node.tag_name().name()));
        }
        for attribute in node.attributes() {
            let attribute_name = attribute.name().to_ascii_lowercase();
            if attribute_name.starts_with("on") {
                return Some(format!("it holds an `{}` attribute", attribute.name()));
            }
            if script_url(attribute.value()) {
                return Some(format!(
                    "its `{}` attribute is a script URL",
                    attribute.name()
                ));
            }
            let sets_link = ANIMATIONS.contains(&name.as_str())
                && attribute_name == "attributename"
                && matches!(
                    attribute.value().to_ascii_lowercase().trim(),
                    "href" | "xlink:href"
                );
            if sets_link {
                return Some(format!("its `<{}>` changes a link", node.tag_name().name()));
            }
        }
    }
    None
}

/// Whether a value is a URL that runs script when followed (`javascript:`, `vbscript:`),
/// its scheme read as a browser reads one.
fn script_url(value: &str) -> bool {
    let compact: String = value
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .take(12)
        .collect::<String>()
        .to_ascii_lowercase();
    compact.starts_with("javascript:") || compact.starts_with("vbscript:")
}

#[cfg(test)]
mod tests {
    use super::svg_activity;

    #[test]
    fn svgs_that_can_run_script_are_told_apart() {
        let inert = r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><rect width="1" height="1"/><image xlink:href="data:image/png;base64,AAAA"/><a href="https://x.org"><text>x</text></a></svg>"#;
        assert_eq!(svg_activity(inert.as_bytes()), None);
        for active in [
            r#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><rect ONCLICK="x"/></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p>x</p></foreignObject></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><a xlink:href=" JaVa&#x09;Script:alert(1)"><text>x</text></a></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><a><set attributeName="href" to="javascript:alert(1)"/><text>x</text></a></svg>"#,
            r#"<!DOCTYPE svg [<!ENTITY s "<script>alert(1)</script>">]><svg xmlns="http://www.w3.org/2000/svg">&s;</svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><s:script xmlns:s="http://www.w3.org/2000/svg">x</s:script></svg>"#,
            "<svg><unclosed>",
        ] {
            assert!(svg_activity(active.as_bytes()).is_some(), "{active}");
        }
        assert!(svg_activity(&[0xff, 0xfe]).is_some());
    }
}
