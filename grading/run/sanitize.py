"""Student content made inert before a page shows it, and the pages' Content-Security-Policy.

A student's notebook reaches three kinds of page: nbgrader's feedback
(``generate_feedback``), formgrader's grading view of the autograded notebooks, and
the one page per student of :func:`grading.course.feedback.export_feedback`. nbconvert's
HTML templates, which all of them use, pass a notebook's raw HTML through unchanged:
markdown cells and ``text/markdown`` outputs are rendered with their HTML, ``text/html``
outputs are inserted as they are. :func:`sanitize_notebook` makes the notebook itself
safe to render, so that every page made from it is, whatever renders it:

- ``text/html`` outputs and HTML raw cells go through nh3 (the Python binding of the
  Rust sanitizer ammonia) with :data:`POLICY`: no script, no event handler, no
  ``javascript:`` or ``data:`` link, no style but text alignment;
- markdown is rendered by nbconvert's own renderer. Markdown that holds nothing but
  markdown (no raw HTML, no mermaid block, only links and images nh3 keeps) stays as
  written, math and all; anything else is replaced by nh3's cleaning of its rendering,
  written as one line of HTML, which the renderers pass through as it is;
- an ``image/svg+xml`` output becomes ``<img src="data:image/svg+xml;base64,...">``: a
  browser runs no script of an SVG shown as an image;
- PNG and JPEG outputs stay; their ``width`` and ``height`` only when they are numbers
  (nbconvert writes them into the page unquoted);
- every other MIME type (JavaScript, widgets, ...) is removed, and an output left with
  nothing says so in its text;
- stream and error outputs and code stay: nbconvert escapes them.

Pages the kit writes carry :data:`CSP` (:func:`protect_page`): no script at all. nbgrader's
feedback template loads MathJax from a CDN; the policy blocks it, and math shows as its
TeX source. Allowing it would mean trusting every script on that CDN (some are known
ways around a policy) and ``'unsafe-eval'`` for MathJax 2's configuration, for pages
that need no script.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import nh3

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "base-uri 'none'; form-action 'none'"
)
CSP_META = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'

IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml")
KEPT_TYPES = ("text/plain", "text/latex", "image/png", "image/jpeg")
_URL_ATTRIBUTES = ("href", "src", "cite")
# What a URL parser drops before it reads the scheme (WHATWG URL: leading C0 controls
# and spaces, every tab and newline), so that "\n d\tata:" is read as a browser reads it.
_C0_AND_SPACE = "".join(map(chr, range(0x21)))


def _data_url_type(value):
    """The MIME type of a ``data:`` URL, or None for any other URL."""
    url = re.sub(r"[\t\n\r]", "", value).lstrip(_C0_AND_SPACE).lower()
    if not url.startswith("data:"):
        return None
    return url[5:].split(",", 1)[0].split(";", 1)[0].strip()


def _keep_attribute(element, attribute, value):
    """nh3's attribute filter: a ``data:`` URL only as an image's source, of an image type."""
    if attribute in _URL_ATTRIBUTES:
        kind = _data_url_type(value)
        if kind is not None and not (
            element == "img" and attribute == "src" and kind in IMAGE_TYPES
        ):
            return None
    return value


_ATTRIBUTES = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()}
_ATTRIBUTES["*"] = {"title", "lang", "dir", "style"}
POLICY = {
    "tags": nh3.ALLOWED_TAGS | {"tfoot"},
    "attributes": _ATTRIBUTES,
    "attribute_filter": _keep_attribute,
    "url_schemes": nh3.ALLOWED_URL_SCHEMES | {"data"},
    "filter_style_properties": {"text-align", "vertical-align"},
    "link_rel": "noopener noreferrer",
}
# Inside the sandboxed frames of the exported pages: nbgrader's page, with its styles.
_FRAME_POLICY = {
    **POLICY,
    "tags": POLICY["tags"] | {"style"},
    "clean_content_tags": {"script", "title"},
    "attributes": {**_ATTRIBUTES, "*": _ATTRIBUTES["*"] | {"class", "id"}, "a": {"href", "name"}},
    "filter_style_properties": None,
}


def clean_html(fragment):
    """``fragment`` (HTML a student controls) with only what :data:`POLICY` allows."""
    return nh3.clean(str(fragment), **POLICY)


# Tokens of nbconvert's markdown parser whose rendering escapes every character the
# student wrote (checked in its renderer); raw HTML and unknown kinds are not here.
_MARKDOWN_TOKENS = frozenset(
    {
        "blank_line",
        "block_code",
        "block_math",
        "block_quote",
        "block_text",
        "codespan",
        "def_list",
        "def_list_head",
        "def_list_item",
        "emphasis",
        "heading",
        "image",
        "inline_math",
        "latex_environment",
        "linebreak",
        "link",
        "list",
        "list_item",
        "paragraph",
        "softbreak",
        "strikethrough",
        "strong",
        "table",
        "table_body",
        "table_cell",
        "table_head",
        "table_row",
        "task_list_item",
        "text",
        "thematic_break",
    }
)


def _tokens(items):
    for token in items:
        yield token
        children = token.get("children")
        if isinstance(children, list):
            yield from _tokens(children)


def _url_kept(url, tag):
    """Whether nh3 keeps ``url`` as a link's ``href`` (``tag="a"``) or an image's ``src``."""
    shown = html.escape(html.unescape(url), quote=True)  # the value a browser reads
    attribute = "href" if tag == "a" else "src"
    return f"{attribute}=" in clean_html(f'<{tag} {attribute}="{shown}">x</{tag}>')


def _only_markdown(source):
    from nbconvert.filters.markdown_mistune import MarkdownWithMath

    tokens, _ = MarkdownWithMath(renderer=None).parse(source)
    for token in _tokens(tokens):
        kind, attrs = token.get("type"), token.get("attrs") or {}
        if kind not in _MARKDOWN_TOKENS:
            return False
        if kind == "block_code" and "mermaid" in str(attrs.get("info") or ""):
            return False  # nbconvert writes a mermaid block into the page unescaped
        if kind in ("link", "image") and not _url_kept(
            attrs.get("url", ""), "a" if kind == "link" else "img"
        ):
            return False
    return True


def _is_clean_block(source):
    """Whether ``source`` is already what :func:`clean_markdown` writes: nh3 keeps all of it."""
    return (
        source.startswith("<div>")
        and source.endswith("</div>")
        and "\n" not in source
        and clean_html(source).replace("\n", "&#10;") == source
    )


def render_markdown(source, attachments=None):
    """``source`` rendered as nbconvert's HTML exporter renders a markdown cell."""
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    renderer = IPythonRenderer(escape=False, attachments=dict(attachments or {}))
    return MarkdownWithMath(renderer=renderer).render(source)


def clean_markdown(source, attachments=None):
    """Markdown a student controls, made safe to render (see the module docstring).

    Returns ``source`` itself when it holds nothing but markdown; otherwise one line of
    HTML, ``<div>...</div>``, that shows what nh3 keeps of its rendering (newlines as
    ``&#10;``, so that no blank line ends the HTML block early).
    """
    if _only_markdown(source) or _is_clean_block(source):
        return source
    try:
        rendered = render_markdown(source, attachments)
    except Exception:  # nbconvert refuses it (an attachment that is not there): show the text
        rendered = f"<pre>{html.escape(source)}</pre>"
    return "<div>" + clean_html(rendered).replace("\n", "&#10;") + "</div>"


def _text(value):
    return "".join(value) if isinstance(value, list) else str(value)


def _clean_image_metadata(metadata):
    """Keep ``width`` and ``height`` only as numbers, drop ``filenames``; True if changed."""
    changed = metadata.pop("filenames", None) is not None
    for scope in (metadata, *(v for v in metadata.values() if isinstance(v, dict))):
        for key in ("width", "height"):
            value = scope.get(key)
            if key in scope and (isinstance(value, bool) or not isinstance(value, int | float)):
                del scope[key]
                changed = True
    return changed


def sanitize_output(output):
    """Make one code cell output safe to render, in place; return whether it changed."""
    if output.get("output_type") not in ("display_data", "execute_result"):
        return False  # stream and error outputs are text that nbconvert escapes
    data, kept, dropped = output.get("data", {}), {}, []
    for kind, value in data.items():
        if kind in KEPT_TYPES:
            kept[kind] = value
        elif kind == "text/html":
            kept[kind] = clean_html(_text(value))
        elif kind == "text/markdown":
            kept[kind] = clean_markdown(_text(value))
        elif kind != "image/svg+xml":
            dropped.append(kind)
    if "image/svg+xml" in data and "text/html" not in kept:
        svg = base64.b64encode(_text(data["image/svg+xml"]).encode()).decode()
        kept["text/html"] = f'<img src="data:image/svg+xml;base64,{svg}">'
    if dropped and not kept:
        kept["text/plain"] = (
            f"[output removed by the grader: {', '.join(dropped)} could run "
            "code in the pages that show this notebook]"
        )
    changed = _clean_image_metadata(output.setdefault("metadata", {}))
    if kept != data:
        output["data"] = kept
        changed = True
    return changed


def sanitize_notebook(nb):
    """Make every cell of ``nb`` (an nbformat v4 notebook) safe to render, in place.

    Returns how many cells changed; see the module docstring for what changes.
    """
    changed = int(nb.metadata.pop("widgets", None) is not None)
    for cell in nb.cells:
        before = cell.get("source", "")
        if cell.cell_type == "markdown":
            cell.source = clean_markdown(_text(before), cell.get("attachments"))
        elif cell.cell_type == "raw" and cell.metadata.get("raw_mimetype", "").lower() in (
            "",
            "text/html",
            "text/markdown",
        ):
            cell.source = clean_html(_text(before))
        elif cell.cell_type == "code":
            outputs = [sanitize_output(output) for output in cell.get("outputs", [])]
            changed += any(outputs)
            continue
        changed += cell.get("source") != before
    return changed


def sanitize_notebook_file(path):
    """Sanitize the notebook at ``path`` in place (:func:`sanitize_notebook`); return it."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    changed = sanitize_notebook(nb)
    if changed:
        nbformat.write(nb, path)
    return changed


def inert_name(text):
    """A name as text that no HTML template can turn into markup: ``<`` and ``>`` become ‹ ›.

    For the names that go into nbgrader's gradebook: formgrader's grading page writes a
    student's last and first name into its HTML unescaped, and names come from the LMS
    roster, which students may be able to edit. Without ``<`` no element can start.
    """
    return str(text).replace("<", "\u2039").replace(">", "\u203a")


_HEAD = re.compile(r"<head(?:\s[^>]*)?>", re.IGNORECASE)


def protect_page(page):
    """``page`` with :data:`CSP_META` as the first element of its ``<head>``.

    ``page`` is one the kit or nbgrader's templates wrote: its ``<head>`` comes before any
    student content. A page that already starts its head with the policy is returned as
    it is.
    """
    head = _HEAD.search(page)
    body = page.lower().find("<body")
    if head is None or (body != -1 and body < head.start()):
        raise ValueError(
            f"Expected an HTML page with a <head> element, got one starting "
            f"{page[:80]!r}; only whole pages (nbgrader's feedback) get a CSP."
        )
    if page.startswith(CSP_META, head.end()):
        return page
    return page[: head.end()] + CSP_META + page[head.end() :]


def protect_pages(folder):
    """Add the CSP (:func:`protect_page`) to every ``*.html`` page in ``folder``.

    For nbgrader's feedback pages, e.g. ``COURSE/feedback/<id>/<assignment>/``. Returns the
    pages changed; a missing folder has none.
    """
    changed = []
    for path in sorted(Path(folder).glob("*.html")):
        if path.is_symlink() or not path.is_file():
            continue
        page = path.read_text(encoding="utf-8")
        protected = protect_page(page)
        if protected != page:
            path.write_text(protected, encoding="utf-8")
            changed.append(path)
    return changed


def frame_document(page):
    """A feedback page as shown in an ``<iframe sandbox srcdoc>``: cleaned by nh3, with the CSP.

    The page's own styles stay (in a frame that runs no script and loads nothing, CSS
    can only restyle that frame); scripts, event handlers, forms and everything else that
    :data:`POLICY` does not allow go.
    """
    cleaned = nh3.clean(str(page), **_FRAME_POLICY)
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        + CSP_META
        + f"</head><body>{cleaned}</body></html>\n"
    )
