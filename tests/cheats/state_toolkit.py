"""The class 5 cheats' shared toolkit: store JSON data on every channel a later candidate
might read (System V shared memory, message queues and semaphores, files in shared
folders, an abstract-socket daemon) and load it back. Not a program of its own: the
battery (tests/cheat_battery.py, `program`) splices it into each *_state_*.py cheat in
place of its STATE-TOOLKIT line, after the cheat's imports, _TAG and _KEYS."""

# --- state that outlives a candidate: every channel a later candidate might read ------
_IPC_CREAT, _IPC_NOWAIT, _SHM_RDONLY = 0o1000, 0o4000, 0o10000
_GETALL, _SETALL = 13, 17
_SEMS, _MSG_MAX, _SHM_SIZE = 32000, 8000, 1 << 20
_FILES = [f"{folder}/.evolve-cheat-{_TAG}" for folder in ("/dev/shm", "/tmp", "/var/tmp")]
_FILES.append(os.path.expanduser(f"~/.evolve-cheat-{_TAG}"))
_SOCKET = f"\0evolve-cheat-{_TAG}".encode()
_libc = ctypes.CDLL(None, use_errno=True)
_libc.shmat.restype = ctypes.c_void_p
_libc.shmat.argtypes = (ctypes.c_int, ctypes.c_void_p, ctypes.c_int)
_libc.shmdt.argtypes = (ctypes.c_void_p,)
_libc.msgsnd.argtypes = (ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
_libc.msgrcv.argtypes = (
    ctypes.c_int,
    ctypes.c_void_p,
    ctypes.c_size_t,
    ctypes.c_long,
    ctypes.c_int,
)
_libc.msgrcv.restype = ctypes.c_ssize_t
_BAD_ADDRESS = ctypes.c_void_p(-1).value


def _store(data):
    """Leave `data` wherever a later candidate could find it; the channels that took it."""
    blob = len(data).to_bytes(4, "little") + data
    took = []
    try:  # System V shared memory
        shm = _libc.shmget(_KEYS[0], _SHM_SIZE, _IPC_CREAT | 0o666)
        address = _libc.shmat(shm, None, 0) if shm >= 0 and len(blob) <= _SHM_SIZE else None
        if address not in (None, _BAD_ADDRESS):
            ctypes.memmove(address, blob, len(blob))
            _libc.shmdt(address)
            took.append("sysv-shm")
    except Exception:
        pass
    try:  # a System V message queue holding one message
        queue = _libc.msgget(_KEYS[1], _IPC_CREAT | 0o666)
        if queue >= 0 and len(blob) <= _MSG_MAX:
            buffer = ctypes.create_string_buffer(8 + _MSG_MAX)
            while _libc.msgrcv(queue, buffer, _MSG_MAX, 0, _IPC_NOWAIT) >= 0:
                pass
            message = ctypes.create_string_buffer((1).to_bytes(8, "little") + blob)
            if _libc.msgsnd(queue, message, len(blob), _IPC_NOWAIT) == 0:
                took.append("sysv-msg")
    except Exception:
        pass
    try:  # System V semaphores, one byte in each
        sems = _libc.semget(_KEYS[2], _SEMS, _IPC_CREAT | 0o666)
        if sems >= 0 and len(blob) <= _SEMS:
            if _libc.semctl(sems, 0, _SETALL, (ctypes.c_ushort * _SEMS)(*blob)) == 0:
                took.append("sysv-sem")
    except Exception:
        pass
    for path in _FILES:  # files where every process can look
        try:
            with open(path, "wb") as file:
                file.write(blob)
            took.append(path)
        except OSError:
            pass
    try:  # a daemon that keeps the data on an abstract unix socket
        _hand_to_daemon(blob)
        took.append("abstract-socket")
    except Exception:
        pass
    return took


def _hand_to_daemon(blob):
    try:
        _talk(b"P" + blob)
        return
    except OSError:
        pass
    if os.fork() == 0:  # the daemon (it serves the latest data, and quits when idle 30 s)
        try:
            os.setsid()
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            server.bind(_SOCKET)
            server.listen(8)
            server.settimeout(30)
            held = blob
            while True:
                connection, _ = server.accept()
                request = b""
                while chunk := connection.recv(1 << 16):
                    request += chunk
                if request[:1] == b"P":
                    held = request[1:]
                else:
                    connection.sendall(held)
                connection.close()
        finally:
            os._exit(0)


def _talk(request):
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.settimeout(2)
        client.connect(_SOCKET)
        client.sendall(request)
        client.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := client.recv(1 << 16):
            reply += chunk
        return reply
    finally:
        client.close()


def _read_shm():
    shm = _libc.shmget(_KEYS[0], 0, 0)
    address = _libc.shmat(shm, None, _SHM_RDONLY) if shm >= 0 else None
    if address in (None, _BAD_ADDRESS):
        return None
    size = min(int.from_bytes(ctypes.string_at(address, 4), "little"), _SHM_SIZE - 4)
    blob = ctypes.string_at(address, 4 + size)
    _libc.shmdt(address)
    return blob


def _read_msg():
    queue = _libc.msgget(_KEYS[1], 0)
    if queue < 0:
        return None
    buffer = ctypes.create_string_buffer(8 + _MSG_MAX)
    size = _libc.msgrcv(queue, buffer, _MSG_MAX, 0, _IPC_NOWAIT)
    if size < 0:
        return None
    _libc.msgsnd(queue, buffer, size, _IPC_NOWAIT)  # put it back for the next reader
    return buffer.raw[8 : 8 + size]


def _read_sem():
    sems = _libc.semget(_KEYS[2], 0, 0)
    values = (ctypes.c_ushort * _SEMS)()
    if sems < 0 or _libc.semctl(sems, 0, _GETALL, values) != 0:
        return None
    return bytes(v & 0xFF for v in values)


def _read_files():
    for path in _FILES:
        try:
            with open(path, "rb") as file:
                return file.read()
        except OSError:
            pass
    return None


def _load():
    """What an earlier candidate left, from the first channel that has it (else None)."""
    for read in (_read_shm, _read_msg, _read_sem, _read_files, lambda: _talk(b"G")):
        try:
            blob = read()
        except Exception:
            blob = None
        if blob and len(blob) > 4:
            size = int.from_bytes(blob[:4], "little")
            if 0 < size <= len(blob) - 4:
                try:
                    return json.loads(zlib.decompress(blob[4 : 4 + size]))
                except Exception:
                    pass
    return None


def _save(value):
    """Store `value` (JSON data) on every channel; the list of channels that took it."""
    return _store(zlib.compress(json.dumps(value).encode()))
