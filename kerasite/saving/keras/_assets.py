"""The vocabularies Keras 3 saves as assets: ``assets/layers/<group>/vocabulary.txt``.

An adapted ``StringLookup``, ``IntegerLookup`` or ``TextVectorization`` is
saved by Keras with ``vocabulary: null`` in its config and its vocabulary,
special tokens first, one per line, in that text file (the group named as
the layer's weights group, ``string_lookup``, ``text_vectorization_1``, ...).
kerasite reads it back as data into the layer's config; it writes the
vocabulary inline in the config instead, which Keras reads as well.
"""

from kerasite.saving.keras._layers import weight_group_names

LAYERS = ("StringLookup", "IntegerLookup", "TextVectorization")
PREFIX = "assets/"


def is_asset(name):
    return name.startswith(PREFIX) and name.endswith("/vocabulary.txt")


def add_vocabularies(kerasite_config, children, read, path):
    """Puts each top-level lookup's vocabulary file into its config entry.

    Args:
        kerasite_config: the translated model config (its ``layers`` follow ``children``).
        children: the Keras entries, as ``model_from_keras`` returns them.
        read: ``read(member name) -> bytes`` or None when the archive lacks it.
        path: the file, for messages.

    Returns:
        The asset member names used.
    """
    entries = [entry for entry, _ in children]
    groups = weight_group_names(e["class_name"] if e["class_name"] != "Model" else "Functional"
                                for e in entries)
    used = []
    for entry, group, ours in zip(entries, groups, kerasite_config["layers"]):
        if entry["class_name"] not in LAYERS or ours["config"].get("vocabulary") is not None:
            continue
        member = f"{PREFIX}layers/{group}/vocabulary.txt"
        data = read(member)
        if data is None:
            continue  # a layer that was never adapted
        try:
            lines = data.decode("utf-8").splitlines()
        except UnicodeDecodeError:
            raise ValueError(f"Cannot load '{path}': {member} is not UTF-8 text.") from None
        while lines and lines[-1] == "":
            lines.pop()
        if entry["class_name"] == "IntegerLookup":
            try:
                lines = [int(line) for line in lines]
            except ValueError:
                raise ValueError(f"Cannot load '{path}': {member} holds a line that is not an "
                                 "integer.") from None
        ours["config"]["vocabulary"] = lines
        used.append(member)
    return used
