"""Landlock for the candidate child: reads only what it needs to run (`readable_paths`),
writes only beneath its own scratch directory (and to /dev/null), no TCP bind or connect,
no signals or abstract sockets outside its domain.

Raw syscalls through ctypes (x86_64 numbers); what the kernel's ABI version lacks is left
out. Landlock also refuses ptrace-style access to processes outside the domain, so
`/proc/<other pid>/environ` and friends cannot be read even where reads are not handled.

A child's rules name its own scratch directory, but the allowed paths are many (about
200 where the standard library holds a site-packages that must stay hidden), so the
zygote builds the fixed part once, as a ruleset that also allows the whole scratch root,
and keeps its descriptor. A child that still holds that descriptor enforces it, then a
small second layer of its own that allows its scratch directory and, coarsely, the
directories outside the scratch root that hold the allowed paths: together, exactly the
allowed paths and its own scratch directory (Landlock layers intersect). A child that
closed the descriptor builds the whole ruleset itself, which costs more.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import resource
import stat
import sys
from collections.abc import Iterator, Sequence

__all__ = ["Landlock", "landlock_abi", "readable_paths"]

_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1, 1 << 1, 1 << 2, 1 << 3
_FS_TRUNCATE, _FS_IOCTL_DEV = 1 << 14, 1 << 15
_FS_BITS_BY_ABI = {1: 13, 2: 14, 3: 15, 4: 15, 5: 16}  # number of fs access bits
_NET_BIND_TCP, _NET_CONNECT_TCP = 1, 2
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1, 2
_READ_ONLY = _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR
# the rights a rule on a file may carry (any other is EINVAL there)
_FILE_RIGHTS = _FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV
_O_PATH = os.O_PATH | os.O_CLOEXEC
_DEVICES = {"/dev/null": True, "/dev/zero": False, "/dev/urandom": False}  # path: writable
_SHARED_FD_FLOOR = 960  # the zygote's ruleset descriptor, out of the way of the child's


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


_libc = ctypes.CDLL(None, use_errno=True)


def landlock_abi() -> int:
    """The kernel's Landlock ABI version; 0 where Landlock is missing or disabled."""
    version = _libc.syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), _CREATE_RULESET_VERSION)
    return max(int(version), 0)


class _Rules:
    """Path-beneath rules, each path opened (O_PATH) when the rules are added."""

    def __init__(self) -> None:
        self.rules: dict[str, _PathBeneathAttr] = {}

    def allow(self, path: str, access: int) -> None:
        """Allow `access` beneath `path` (on top of what it has); files get file rights
        only. A path that does not exist is left out."""
        try:
            is_dir = stat.S_ISDIR(os.stat(path).st_mode)
        except OSError:
            return
        attr = self.rules.setdefault(path, _PathBeneathAttr(0, -1))
        attr.allowed_access |= access if is_dir else access & _FILE_RIGHTS

    def add_to(self, ruleset: int) -> None:
        for path, attr in self.rules.items():
            attr.parent_fd = os.open(path, _O_PATH)
            try:
                _check(_libc.syscall(_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(attr), 0))
            finally:
                os.close(attr.parent_fd)


class Landlock:
    """The rulesets for this kernel, computed once per zygote; `restrict` enforces them
    in a child, with the child's own scratch directory.

    With `readable` None, reads are not handled (allowed everywhere); else the child
    may read only beneath those paths, its scratch directory and the devices /dev/null,
    /dev/zero and /dev/urandom. With `scratch_root` (the directory every child's scratch
    directory is made in) the fixed part is built here once (see the module's doc)."""

    def __init__(
        self, abi: int, readable: Sequence[str] | None = None, scratch_root: str | None = None
    ) -> None:
        fs_all = (1 << _FS_BITS_BY_ABI.get(abi, 16)) - 1
        self.abi = abi
        self.handles_reads = readable is not None
        self.scratch_access = fs_all if self.handles_reads else fs_all & ~_READ_ONLY
        self._attr = _RulesetAttr(
            handled_access_fs=self.scratch_access,
            handled_access_net=(_NET_BIND_TCP | _NET_CONNECT_TCP) if abi >= 4 else 0,
            scoped=(_SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL) if abi >= 6 else 0,
        )
        write_dev = (_FS_WRITE_FILE | _FS_TRUNCATE) & fs_all
        reads = _READ_ONLY if self.handles_reads else 0
        self.fixed = _Rules()
        for path in readable or ():
            self.fixed.allow(path, _READ_ONLY)
        for device, writable in _DEVICES.items():
            if writable or reads:
                self.fixed.allow(device, reads | (write_dev if writable else 0))
        self._shared_fd, self._cover = -1, _Rules()
        self._root: tuple[tuple[str, ...], tuple[int, int]] = ((), (0, 0))
        if scratch_root is not None and self.handles_reads:
            self._build_shared(scratch_root)

    def restrict(self, scratch: str, *, shared: bool = True) -> None:
        """Confine the calling process for good (OSError if the kernel refuses): in
        two layers with the zygote's prebuilt ruleset if this process still holds it,
        `scratch` is in the scratch root it was built with (and `shared`), else in one
        built here."""
        own = _Rules()  # a missing scratch directory fails here, not silently
        own.rules[scratch] = _PathBeneathAttr(self.scratch_access, -1)
        if shared and self._shared_fd >= 0 and self._in_scratch_root(scratch):
            with _ruleset(self._attr) as ruleset:
                self._cover.add_to(ruleset)
                own.add_to(ruleset)
                if _restrict_self(self._shared_fd, check=False):  # else: not ours any more
                    os.close(self._shared_fd)
                    _restrict_self(ruleset)
                    return
        with _ruleset(self._attr) as ruleset:
            self.fixed.add_to(ruleset)
            own.add_to(ruleset)
            _restrict_self(ruleset)

    def _in_scratch_root(self, scratch: str) -> bool:
        """Whether the prebuilt ruleset covers `scratch`: it is beneath the scratch root,
        which is still the directory the ruleset was built with."""
        roots, identity = self._root
        try:
            st = os.stat(roots[0])
        except OSError:
            return False
        path = os.path.normpath(scratch)
        inside = any(path == root or _beneath(path, root) for root in roots)
        return inside and (st.st_dev, st.st_ino) == identity

    def close(self) -> None:
        """In the zygote, when these rulesets are discarded."""
        if self._shared_fd >= 0:
            os.close(self._shared_fd)
            self._shared_fd = -1

    def _build_shared(self, scratch_root: str) -> None:
        """The fixed rules plus the whole scratch root, as a ruleset kept open; and the
        coarse rules of the child's own layer: for each fixed path, its highest ancestor
        that does not hold the scratch root."""
        given, scratch_root = os.path.normpath(scratch_root), os.path.realpath(scratch_root)
        st = os.stat(scratch_root)
        self._root = ((scratch_root, given), (st.st_dev, st.st_ino))
        shared = _Rules()
        shared.rules = dict(self.fixed.rules)
        shared.allow(scratch_root, self.scratch_access)
        for path, attr in self.fixed.rules.items():
            if (cover := _coarsest(path, scratch_root)) is not None:
                self._cover.allow(cover, attr.allowed_access)
        with _ruleset(self._attr) as ruleset:
            shared.add_to(ruleset)
            floor = min(_SHARED_FD_FLOOR, _soft_nofile() - 8)
            self._shared_fd = fcntl.fcntl(ruleset, fcntl.F_DUPFD_CLOEXEC, max(floor, 3))


def _coarsest(path: str, avoid: str) -> str | None:
    """The highest of `path` and its ancestors that neither is nor holds `avoid`."""
    parts = path.split(os.sep)
    for n in range(2, len(parts) + 1):
        candidate = os.sep.join(parts[:n])
        if candidate != avoid and not _beneath(avoid, candidate):
            return None if _beneath(candidate, avoid) else candidate
    return None


def _soft_nofile() -> int:
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return 1 << 20 if soft == resource.RLIM_INFINITY else int(soft)


@contextlib.contextmanager
def _ruleset(attr: _RulesetAttr) -> Iterator[int]:
    ruleset = _check(_libc.syscall(_CREATE_RULESET, ctypes.byref(attr), 24, 0))
    try:
        yield ruleset
    finally:
        os.close(ruleset)


def _restrict_self(ruleset: int, *, check: bool = True) -> bool:
    """Enforce `ruleset` on this process; False if it is not a ruleset and not `check`."""
    _check(_libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
    if _libc.syscall(_RESTRICT_SELF, ruleset, 0) == 0:
        return True
    if not check and ctypes.get_errno() in (errno.EBADF, errno.EBADFD):
        return False
    return bool(_check(-1))


def _check(value: int) -> int:
    if value < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"landlock: {os.strerror(err)}")
    return int(value)


def readable_paths(packages: Sequence[str] = ()) -> list[str]:
    """What a candidate needs to read to run: the standard library (extension modules
    included), the system library directory the interpreter's libc came from (for the
    libraries those modules load), and each of `packages` (a top-level module name: its
    directory, or file, and its vendored-library directories such as numpy.libs).

    Never a site-packages or dist-packages directory, nor the directory this project's
    packages live in: an allowed directory that contains one is replaced by its other
    entries. Never this project's own packages either (`OWN_PACKAGES`: its source and
    the data sets it ships), even if a problem lists one. Real paths, none beneath
    another; computed in the zygote, before any fork."""
    roots = _stdlib_dirs() + _libc_dirs()
    own = {os.path.realpath(os.path.join(_project_dir(), name)) for name in OWN_PACKAGES}
    for name in packages:
        roots += [p for p in _package_paths(name) if os.path.realpath(p) not in own]
    forbidden = _forbidden_dirs()
    pieces = {piece for root in roots for piece in _carve(os.path.realpath(root), forbidden)}
    return sorted(p for p in pieces if not any(_beneath(p, q) for q in pieces if q != p))


def _stdlib_dirs() -> list[str]:
    import sysconfig

    paths = sysconfig.get_paths()
    dynload = [p for p in sys.path if os.path.basename(p) == "lib-dynload"]
    return [paths["stdlib"], paths["platstdlib"], os.path.dirname(os.__file__), *dynload]


def _libc_dirs() -> list[str]:
    """The directory of the libc mapped here (e.g. /usr/lib/x86_64-linux-gnu), where the
    dynamic loader finds the libraries of extension modules loaded later (libz...)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split(maxsplit=5)[-1].strip() for line in maps if "/libc." in line}
    except OSError:
        return []
    return sorted({os.path.dirname(p) for p in paths if p.startswith("/")})


def _package_paths(name: str) -> list[str]:
    """A top-level package's directory (or a module's file) and, beside it, the
    directories of the libraries its wheel vendors (e.g. numpy.libs)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(name.partition(".")[0])
    except (ImportError, ValueError):
        return []
    if spec is None:
        return []
    paths = list(spec.submodule_search_locations or [])
    if not paths and spec.origin and os.path.isabs(spec.origin):
        paths = [spec.origin]
    prefix = spec.name.lower()
    for parent in {os.path.dirname(p) for p in paths}:
        with contextlib.suppress(OSError):
            paths += [
                os.path.join(parent, entry)
                for entry in os.listdir(parent)
                if entry.lower().startswith(prefix) and entry.lower().endswith(".libs")
            ]
    return paths


def _forbidden_dirs() -> list[str]:
    """Directories no rule may cover: every site-packages / dist-packages directory
    Python knows of, and the one holding this project's packages (the source tree, or
    site-packages when the project is installed)."""
    import site
    import sysconfig

    base = {"base": sys.base_prefix, "platbase": sys.base_exec_prefix}
    found = [paths[k] for paths in (sysconfig.get_paths(), sysconfig.get_paths(vars=base))
             for k in ("purelib", "platlib")]  # fmt: skip
    found += [*site.getsitepackages(), site.getusersitepackages()]
    found += [p for p in sys.path if os.path.basename(p) in _SITE_NAMES]
    found += [os.path.join(d, name) for d in _stdlib_dirs() for name in _SITE_NAMES]
    found.append(_project_dir())
    return sorted({os.path.realpath(p) for p in found if p and os.path.exists(p)})


_SITE_NAMES = ("site-packages", "dist-packages")
OWN_PACKAGES = ("archive", "evolve", "problems", "sandbox")  # this project's top level


def _project_dir() -> str:
    """The directory holding this project's packages: the source tree or site-packages."""
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _carve(root: str, forbidden: Sequence[str]) -> list[str]:
    """`root`, or if it holds a forbidden directory, its entries that do not (recursively)."""
    inside = [f for f in forbidden if f == root or _beneath(f, root)]
    if not inside:
        return [root]
    if root in inside or os.path.basename(root) in _SITE_NAMES:
        return []
    try:
        entries = sorted(os.listdir(root))
    except OSError:
        return []
    return [piece for entry in entries for piece in _carve(os.path.join(root, entry), inside)]


def _beneath(path: str, parent: str) -> bool:
    return path.startswith(parent.rstrip(os.sep) + os.sep)
