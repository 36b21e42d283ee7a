# A file server for the `docker import URL` tests, run inside the test
# daemon's network namespace: files of a directory, redirect chains, a
# redirect loop, chunked and unframed bodies, and short error pages.
import http.server
import os
import sys

ROOT = sys.argv[2]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?")[0]
        if path.startswith("/redirect/"):
            left = int(path.rsplit("/", 1)[1])
            target = "/rootfs.tar" if left == 0 else "/redirect/%d" % (left - 1)
            return self.answer(302, b"", [("Location", target)])
        if path == "/relative/hop":
            return self.answer(301, b"", [("Location", "../rootfs.tar.gz")])
        if path == "/loop":
            return self.answer(302, b"", [("Location", "/loop")])
        if path == "/forbidden.tar":
            return self.answer(403, b"  no entry  \n")
        if path == "/truncated.tar":
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"x" * 1000)
            self.close_connection = True
            return
        if path == "/broken.tar":
            return self.answer(500, b"disk on fire\n")
        name = os.path.join(ROOT, path.lstrip("/").split("/")[-1])
        if path.startswith("/chunked/") and os.path.isfile(name):
            data = open(name, "rb").read()
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            for i in range(0, len(data), 100000):
                piece = data[i:i + 100000]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            return
        if path.startswith("/unframed/") and os.path.isfile(name):
            data = open(name, "rb").read()
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)
            self.close_connection = True
            return
        if os.path.isfile(name) and path.count("/") == 1:
            return self.answer(200, open(name, "rb").read(),
                               [("Content-Type", "application/x-tar")])
        self.answer(404, b"not found: " + path.encode() + b"\n")


server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
open(os.path.join(ROOT, "server-ready"), "w").close()
server.serve_forever()
