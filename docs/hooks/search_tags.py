"""MkDocs hook: a page's search tags go only to the sections that use the word.

Material's search gives a page's ``tags:`` (front matter) to every section
of the page, and tags weigh most in the ranking. The training page is tagged
with the argument names people search for (``validation_split``,
``batch_size``, ...) so that it comes first; this hook then keeps each tag
only on the sections whose text has it, so that within the page the method
that takes the argument (``fit`` for ``validation_split``) is the result
shown, not the page's introduction. It runs after the search plugin has
written ``search/search_index.json`` and before the offline plugin copies the
index into ``search_index.js``.
"""

import json
import os

from mkdocs.plugins import event_priority


def narrow_tags(index):
    """``index`` (the search index as a dict) with each tag kept where its section has it."""
    for entry in index["docs"]:
        tags = entry.get("tags")
        if not tags:
            continue
        text = entry.get("text", "").lower()
        kept = [t for t in tags if "#" in entry["location"] and t.lower() in text]
        if kept:
            entry["tags"] = kept
        else:
            del entry["tags"]
    return index


@event_priority(-50)  # after the search plugin (0), before the offline plugin (-100)
def on_post_build(config):
    path = os.path.join(config.site_dir, "search", "search_index.json")
    if not os.path.isfile(path):
        return
    with open(path, encoding="utf-8") as f:
        index = json.load(f)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(narrow_tags(index), f, separators=(",", ":"))
