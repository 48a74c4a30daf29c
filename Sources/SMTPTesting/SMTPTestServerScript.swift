import Foundation

/// The aiosmtpd-based test server, kept as text here so the test target needs no resources or `exclude:` entries.
///
/// Modes: `smtp` (a real aiosmtpd server with optional STARTTLS, implicit TLS, AUTH PLAIN/LOGIN, scripted 4xx/5xx
/// replies; each message and AUTH attempt is stored as JSON in `--maildir`) and `silent` (accepts TCP, never
/// greets). Prints `PORT n` when ready.
public enum SMTPTestServerScript {
    public static let source = #"""
        import argparse, asyncio, base64, email, email.policy, email.utils, json, os, ssl, sys

        from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

        parser = argparse.ArgumentParser()
        parser.add_argument("--mode", default="smtp", choices=["smtp", "silent"])
        parser.add_argument("--maildir")
        parser.add_argument("--port", type=int, default=0)
        parser.add_argument("--tls-cert")
        parser.add_argument("--tls-key")
        parser.add_argument("--require-starttls", action="store_true")
        parser.add_argument("--implicit-tls", action="store_true")
        parser.add_argument("--auth-user")
        parser.add_argument("--auth-pass")
        parser.add_argument("--auth-require-tls", action="store_true")
        parser.add_argument("--fail-first", type=int, default=0)
        parser.add_argument("--fail-code", type=int, default=451)
        parser.add_argument("--fail-at", default="rcpt", choices=["rcpt", "data"])
        parser.add_argument("--reject", type=int)
        parser.add_argument("--size-limit", type=int)
        args = parser.parse_args()

        counter = {"messages": 0, "auth": 0, "failed": 0}


        def write_json(prefix, record):
            counter[prefix] += 1
            path = os.path.join(args.maildir, "%s-%03d.json" % (prefix, counter[prefix]))
            with open(path + ".tmp", "w") as f:
                json.dump(record, f)
            os.rename(path + ".tmp", path)


        def parse(data):
            msg = email.message_from_bytes(data, policy=email.policy.default)
            record = {
                "subject": str(msg["subject"]),
                "from": str(msg["from"]),
                "to": str(msg["to"]),
                "date": str(msg["date"]),
                "date_epoch": email.utils.parsedate_to_datetime(msg["date"]).timestamp() if msg["date"] else None,
                "message_id": str(msg["message-id"]),
                "mime_version": str(msg["mime-version"]),
                "content_type": msg.get_content_type(),
                "defects": [type(d).__name__ for part in msg.walk() for d in part.defects],
                "header_names": list(msg.keys()),
            }
            plain = msg.get_body(preferencelist=("plain",))
            html = msg.get_body(preferencelist=("html",))
            record["text"] = plain.get_content() if plain is not None else None
            record["html"] = html.get_content() if html is not None else None
            record["parts"] = [part.get_content_type() for part in msg.walk()]
            return record


        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                if args.reject:
                    return "%d 5.1.1 <%s>: mailbox unavailable" % (args.reject, address)
                if args.fail_at == "rcpt" and counter["failed"] < args.fail_first:
                    counter["failed"] += 1
                    return "%d 4.3.0 temporary failure, try again later" % args.fail_code
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                if args.fail_at == "data" and counter["failed"] < args.fail_first:
                    counter["failed"] += 1
                    return "%d 4.3.0 temporary failure, try again later" % args.fail_code
                record = {
                    "mail_from": envelope.mail_from,
                    "rcpt_tos": envelope.rcpt_tos,
                    "mail_options": envelope.mail_options,
                    "data_b64": base64.b64encode(envelope.original_content).decode(),
                    "tls": server.transport.get_extra_info("ssl_object") is not None,
                }
                try:
                    record.update(parse(envelope.original_content))
                except Exception as error:  # keep the raw data even when parsing fails
                    record["parse_error"] = repr(error)
                write_json("messages", record)
                return "250 OK queued as TEST%03d" % counter["messages"]


        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (
                isinstance(auth_data, LoginPassword)
                and auth_data.login.decode() == args.auth_user
                and auth_data.password.decode() == args.auth_pass
            )
            write_json("auth", {"mechanism": mechanism, "login": auth_data.login.decode() if isinstance(auth_data, LoginPassword) else None,
                                "success": ok, "tls": server.transport.get_extra_info("ssl_object") is not None})
            return AuthResult(success=ok, handled=False)


        def context():
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(args.tls_cert, args.tls_key)
            return ctx


        async def main():
            loop = asyncio.get_running_loop()
            if args.mode == "silent":
                async def hold(reader, writer):
                    await reader.read()  # never greet; just wait until the client gives up
                    writer.close()
                server = await asyncio.start_server(hold, "127.0.0.1", 0)
            else:
                kwargs = {"hostname": "test.invalid", "auth_require_tls": args.auth_require_tls}
                if args.size_limit:
                    kwargs["data_size_limit"] = args.size_limit
                if args.tls_cert and not args.implicit_tls:
                    kwargs["tls_context"] = context()
                    kwargs["require_starttls"] = args.require_starttls
                if args.auth_user:
                    kwargs["authenticator"] = authenticator
                handler = Handler()
                server = await loop.create_server(lambda: SMTP(handler, **kwargs), "127.0.0.1", args.port,
                                                  ssl=context() if args.implicit_tls else None)
            print("PORT %d" % server.sockets[0].getsockname()[1], flush=True)
            await server.serve_forever()


        asyncio.run(main())
        """#
}
