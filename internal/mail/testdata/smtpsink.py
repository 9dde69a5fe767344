"""A real SMTP server for the tests: each message it receives is written to
OUTDIR as N.eml (the bytes as received) and N.json (envelope). It prints
"port N" once it listens on 127.0.0.1 (a free port), and runs until killed.
Uses Python's smtpd module (Python <= 3.11)."""
import asyncore
import json
import os
import sys
import warnings

warnings.simplefilter("ignore")
import smtpd  # noqa: E402

outdir = sys.argv[1]


class Sink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kw):
        n = len([f for f in os.listdir(outdir) if f.endswith(".eml")])
        base = os.path.join(outdir, str(n))
        with open(base + ".json", "w") as f:
            json.dump({"from": mailfrom, "to": rcpttos}, f)
        with open(base + ".tmp", "wb") as f:
            f.write(data)
        os.rename(base + ".tmp", base + ".eml")  # the test waits for .eml


server = Sink(("127.0.0.1", 0), None, decode_data=False)
print("port", server.socket.getsockname()[1], flush=True)
asyncore.loop()
