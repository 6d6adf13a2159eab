"""A seccomp filter for the candidate child: no fork, exec, signals to others, ptrace,
sockets, mounts, namespaces, raising limits, kernel modules, keyrings, io_uring, System V
IPC or POSIX message queues (state that would outlive the candidate in its worker's IPC
namespace). What the sandbox's own call channel needs stays allowed: reading and writing
existing sockets and pipes, poll, futex, mmap, memfd_create, sched_yield.

The classic BPF program is assembled by hand (no libseccomp binding in the stdlib): check
the architecture (x86_64 only; anything else, x32 included, kills the process), then the
syscall number. Threads stay allowed (`clone` with CLONE_THREAD; `clone3` answers ENOSYS so
that libc falls back to `clone`), so do signals to the child itself. The program is built
once per zygote; the child patches in its own pid and installs it with two prctl calls.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct

__all__ = ["SeccompFilter", "seccomp_supported"]

_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_AUDIT_ARCH_X86_64 = 0xC000003E
_X32_SYSCALL_BIT = 0x40000000
_CLONE_THREAD = 0x00010000

_RET_ALLOW = 0x7FFF0000
_RET_KILL_PROCESS = 0x80000000
_RET_ERRNO = 0x00050000
_LD_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JEQ = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JGE = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_JSET = 0x45  # BPF_JMP | BPF_JSET | BPF_K
_RET = 0x06  # BPF_RET | BPF_K
# offsets in struct seccomp_data {int nr; u32 arch; u64 ip; u64 args[6]} (little endian)
_NR, _ARCH = 0, 4


def _arg_lo(n: int) -> int:
    return 16 + 8 * n


def _arg_hi(n: int) -> int:
    return 16 + 8 * n + 4


# x86_64 syscall numbers refused with EPERM, whatever their arguments.
DENIED = {
    "fork": 57, "vfork": 58, "execve": 59, "execveat": 322,
    "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "pidfd_getfd": 438,
    "rt_sigqueueinfo": 129, "rt_tgsigqueueinfo": 297, "pidfd_send_signal": 424,
    "socket": 41, "socketpair": 53,
    "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "unshare": 272,
    "setns": 308, "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431,
    "fsmount": 432, "fspick": 433, "mount_setattr": 442,
    "setrlimit": 160, "setuid": 105, "setgid": 106, "setreuid": 113, "setregid": 114,
    "setgroups": 116, "setresuid": 117, "setresgid": 119, "capset": 126,
    "chown": 92, "fchown": 93, "lchown": 94, "fchownat": 260, "mknod": 133, "mknodat": 259,
    "setxattr": 188, "lsetxattr": 189, "fsetxattr": 190,
    "removexattr": 197, "lremovexattr": 198, "fremovexattr": 199,
    "keyctl": 250, "add_key": 248, "request_key": 249, "bpf": 321, "perf_event_open": 298,
    "userfaultfd": 323, "io_uring_setup": 425, "io_uring_enter": 426,
    "io_uring_register": 427, "kexec_load": 246, "kexec_file_load": 320,
    "init_module": 175, "finit_module": 313, "delete_module": 176, "reboot": 169,
    "swapon": 167, "swapoff": 168, "syslog": 103, "acct": 163, "settimeofday": 164,
    "clock_settime": 227, "adjtimex": 159, "iopl": 172, "ioperm": 173, "quotactl": 179,
    "open_by_handle_at": 304, "name_to_handle_at": 303, "personality": 135,
    "shmget": 29, "shmat": 30, "shmctl": 31, "shmdt": 67,
    "semget": 64, "semop": 65, "semctl": 66, "semtimedop": 220,
    "msgget": 68, "msgsnd": 69, "msgrcv": 70, "msgctl": 71,
    "mq_open": 240, "mq_unlink": 241, "mq_timedsend": 242, "mq_timedreceive": 243,
    "mq_notify": 244, "mq_getsetattr": 245,
}  # fmt: skip
_CLONE, _CLONE3, _PRLIMIT64 = 56, 435, 302
_SIGNALS = (62, 200, 234)  # kill, tkill, tgkill: allowed only with the child's own pid


class _Program:
    """A growing list of BPF instructions; `index` of the pid placeholders."""

    def __init__(self) -> None:
        self.code: list[tuple[int, int, int, int]] = []
        self.pid_slots: list[int] = []

    def add(self, code: int, k: int, jt: int = 0, jf: int = 0) -> None:
        self.code.append((code, jt, jf, k))

    def ret(self, value: int) -> None:
        self.add(_RET, value)

    def pack(self) -> bytes:
        return b"".join(struct.pack("<HBBI", c, jt, jf, k) for c, jt, jf, k in self.code)


def _assemble() -> _Program:
    p = _Program()
    eperm, enosys = _RET_ERRNO | errno.EPERM, _RET_ERRNO | errno.ENOSYS
    p.add(_LD_ABS, _ARCH)
    p.add(_JEQ, _AUDIT_ARCH_X86_64, jt=1)
    p.ret(_RET_KILL_PROCESS)
    p.add(_LD_ABS, _NR)
    p.add(_JGE, _X32_SYSCALL_BIT, jf=1)
    p.ret(_RET_KILL_PROCESS)
    for nr in sorted(DENIED.values()):
        p.add(_JEQ, nr, jf=1)
        p.ret(eperm)
    p.add(_JEQ, _CLONE3, jf=1)
    p.ret(enosys)
    p.add(_JEQ, _CLONE, jf=4)  # clone: threads only
    p.add(_LD_ABS, _arg_lo(0))
    p.add(_JSET, _CLONE_THREAD, jf=1)
    p.ret(_RET_ALLOW)
    p.ret(eperm)
    p.add(_JEQ, _PRLIMIT64, jf=5)  # prlimit64: reading only (new_limit == NULL)
    p.add(_LD_ABS, _arg_lo(2))
    p.add(_JEQ, 0, jf=2)
    p.add(_LD_ABS, _arg_hi(2))
    p.add(_JEQ, 0, jt=len(_SIGNALS) * 6 + 1)  # allow: jump to the final RET_ALLOW
    p.ret(eperm)
    for nr in _SIGNALS:  # kill(pid, sig), tkill(tid, sig), tgkill(tgid, tid, sig)
        p.add(_JEQ, nr, jf=5)
        p.add(_LD_ABS, _arg_hi(0))
        p.add(_JEQ, 0, jf=2)
        p.add(_LD_ABS, _arg_lo(0))
        p.pid_slots.append(len(p.code))
        p.add(_JEQ, 0, jt=len(_SIGNALS) * 6, jf=0)  # patched: own pid
        p.ret(eperm)
    p.ret(_RET_ALLOW)
    return p


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


class SeccompFilter:
    """The assembled filter, kept in a ctypes buffer the forked child patches and installs."""

    def __init__(self) -> None:
        program = _assemble()
        self._fix_jumps(program)
        self._buffer = ctypes.create_string_buffer(program.pack())
        self._slots = program.pid_slots
        self._fprog = _SockFprog(len(program.code), ctypes.addressof(self._buffer))
        self._prctl = ctypes.CDLL(None, use_errno=True).prctl

    @staticmethod
    def _fix_jumps(program: _Program) -> None:
        """Point the "allow" jumps of the signal checks at the last instruction."""
        last = len(program.code) - 1
        for i, (code, jt, jf, k) in enumerate(program.code):
            if code == _JEQ and jt >= len(_SIGNALS) * 6:
                program.code[i] = (code, last - i - 1, jf, k)

    def install(self, pid: int) -> None:
        """Confine the calling process for good (OSError if the kernel refuses)."""
        for slot in self._slots:
            struct.pack_into("<I", self._buffer, slot * 8 + 4, pid)
        if self._prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
        mode, fprog = _SECCOMP_MODE_FILTER, ctypes.byref(self._fprog)
        if self._prctl(_PR_SET_SECCOMP, mode, fprog, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")


def seccomp_supported() -> bool:
    """Whether this filter can work here at all (it is written for x86_64 Linux)."""
    return platform.system() == "Linux" and platform.machine() == "x86_64"
