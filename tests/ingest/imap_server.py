"""A small real IMAP4rev1 server on 127.0.0.1 for the tests (RFC 3501): CAPABILITY, LOGIN, SELECT,
UID SEARCH / UID FETCH (RFC822) / UID STORE, plain SEARCH/FETCH/STORE by sequence number, NOOP, LOGOUT —
as ``imaplib`` sends them. ``hang`` makes it accept and never greet (for the timeout test)."""

from __future__ import annotations

import re
import socketserver
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Mailbox:
    uidvalidity: int = 42
    messages: list[tuple[int, bytes]] = field(default_factory=list)  # (uid, RFC 822 bytes)
    seen: set[int] = field(default_factory=set)

    def add(self, raw: bytes) -> int:
        uid = (self.messages[-1][0] + 1) if self.messages else 101
        self.messages.append((uid, raw))
        return uid


class ImapServer:
    def __init__(self, user: str = "support@example.com", password: str = "app-pass-1234") -> None:  # noqa: S107 (test server)
        self.user, self.password = user, password
        self.mailbox = Mailbox()
        self.commands: list[str] = []
        self.hang = False
        self.missing_folders: set[str] = set()
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                if server.hang:
                    time.sleep(3)
                    return
                self._send(b"* OK [CAPABILITY IMAP4rev1] voxpop test IMAP ready")
                authed = selected = False
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    text = line.decode("utf-8", "replace").rstrip("\r\n")
                    tag, _, rest = text.partition(" ")
                    command, _, args = rest.partition(" ")
                    command = command.upper()
                    server.commands.append(f"{command} {args}".strip() if command != "LOGIN" else "LOGIN")
                    if command == "CAPABILITY":
                        self._send(b"* CAPABILITY IMAP4rev1")
                        self._ok(tag, "CAPABILITY completed")
                    elif command == "NOOP":
                        self._ok(tag, "NOOP completed")
                    elif command == "LOGIN":
                        user, password = _words(args)
                        if (user, password) == (server.user, server.password):
                            authed = True
                            self._ok(tag, "LOGIN completed")
                        else:
                            self._send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials".encode())
                    elif command == "LOGOUT":
                        self._send(b"* BYE logging out")
                        self._ok(tag, "LOGOUT completed")
                        return
                    elif not authed:
                        self._send(f"{tag} BAD log in first".encode())
                    elif command == "SELECT" and _words(args)[0] in server.missing_folders:
                        self._send(f"{tag} NO [NONEXISTENT] Unknown mailbox".encode())
                    elif command == "SELECT":
                        box = server.mailbox
                        self._send(f"* {len(box.messages)} EXISTS".encode())
                        self._send(b"* 0 RECENT")
                        self._send(b"* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)")
                        self._send(f"* OK [UIDVALIDITY {box.uidvalidity}] UIDs valid".encode())
                        selected = True
                        self._ok(tag, "[READ-WRITE] SELECT completed")
                    elif not selected:
                        self._send(f"{tag} BAD select a mailbox first".encode())
                    elif command == "UID":
                        sub, _, subargs = args.partition(" ")
                        self._uid(tag, sub.upper(), subargs)
                    else:
                        self._send(f"{tag} BAD unknown command {command}".encode())

            def _uid(self, tag: str, sub: str, args: str) -> None:
                box = server.mailbox
                if sub == "SEARCH":
                    match = re.search(r"UID (\d+):\*", args)
                    low = int(match.group(1)) if match else 1
                    uids = [u for u, _ in box.messages if u >= low]
                    if not uids and box.messages:  # RFC 3501: n:* always includes the highest UID
                        uids = [box.messages[-1][0]]
                    self._send(("* SEARCH " + " ".join(map(str, uids))).strip().encode())
                    self._ok(tag, "SEARCH completed")
                elif sub == "FETCH":
                    wanted = _uid_set(args.split(" ", 1)[0])
                    for seq, (uid, raw) in enumerate(box.messages, 1):
                        if uid in wanted:
                            head = f"* {seq} FETCH (UID {uid} RFC822 {{{len(raw)}}}\r\n".encode()
                            self.wfile.write(head + raw + b")\r\n")
                    self._ok(tag, "FETCH completed")
                elif sub == "STORE":
                    for uid in _uid_set(args.split(" ", 1)[0]):
                        box.seen.add(uid)
                    self._ok(tag, "STORE completed")
                else:
                    self._send(f"{tag} BAD unknown UID command".encode())

            def _ok(self, tag: str, text: str) -> None:
                self._send(f"{tag} OK {text}".encode())

            def _send(self, data: bytes) -> None:
                self.wfile.write(data + b"\r\n")
                self.wfile.flush()

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> ImapServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _words(args: str) -> list[str]:
    return [a if a else b for a, b in re.findall(r'"((?:[^"\\]|\\.)*)"|(\S+)', args)]


def _uid_set(spec: str) -> set[int]:
    out: set[int] = set()
    for part in spec.split(","):
        if ":" in part:
            low, high = part.split(":")
            out.update(range(int(low), int(high) + 1))
        elif part:
            out.add(int(part))
    return out
