"""Paths every layer must refuse: absolute, escaping, not normal, reserved (.git, .mic)."""

BAD_PATHS = [
    "/etc/passwd",
    "../escape",
    "a/../../b",
    "a//b",
    "./a",
    "a/./b",
    "a/",
    "a\x00b",
    "a\\..\\b",
    "..\\b",
    "\\server\\share",
    "C:/windows",
    "c:relative",
    ".git/config",
    "sub/.git/hooks/post-checkout",
    ".GIT/config",
    "x/.mic/state",
    "x\\.git\\config",
    "a" * 4097,
]
