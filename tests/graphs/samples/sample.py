import os


def walk(root, suffix=".py"):
    """Yield files under root that end with suffix."""
    found = []
    for base, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.endswith(suffix):
                found.append(os.path.join(base, name))
    total = len(found)
    return found if total else []
