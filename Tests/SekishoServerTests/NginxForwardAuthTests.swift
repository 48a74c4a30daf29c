import Foundation
import TestSupport
import Testing

/// Forward auth end to end: the real `sekisho serve` binary, a real nginx with `auth_request`,
/// and a small python upstream that echoes the `Remote-User` header it receives.
///
/// The `sekisho` binary is `$SEKISHO_BIN`, else `<repo>/.build/debug/sekisho` (build it first).
@Suite(.serialized) struct NginxForwardAuthTests {
    static let nginx = "/usr/sbin/nginx"
    static let python = "/usr/bin/python3"
    static let oathtool = "/usr/bin/oathtool"
    static let appHost = "app.example.test"
    static let password = "correct horse battery"

    /// Answers every GET with JSON: the path and every `Remote-User` header line it got; logs each request.
    static let echoScript = """
        import http.server, json, sys
        log = sys.argv[1]
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = json.dumps({"path": self.path, "remote_user": self.headers.get_all("Remote-User") or []}).encode()
                with open(log, "a") as f:
                    f.write(body.decode() + "\\n")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass
        server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        print("PORT", server.server_address[1], flush=True)
        server.serve_forever()
        """

    static func nginxConfiguration(directory: String, port: Int, sekishoPort: Int, upstreamPort: Int) -> String {
        """
        master_process off;
        worker_processes 1;
        error_log \(directory)/nginx-error.log info;
        pid \(directory)/nginx.pid;
        events { worker_connections 64; }
        http {
            access_log \(directory)/nginx-access.log;
            client_body_temp_path \(directory)/nginx-temp/body;
            proxy_temp_path \(directory)/nginx-temp/proxy;
            fastcgi_temp_path \(directory)/nginx-temp/fastcgi;
            uwsgi_temp_path \(directory)/nginx-temp/uwsgi;
            scgi_temp_path \(directory)/nginx-temp/scgi;
            server {
                listen 127.0.0.1:\(port);
                server_name \(appHost);
                location = /internal-auth {
                    internal;
                    proxy_pass http://127.0.0.1:\(sekishoPort)/api/authz/auth-request;
                    proxy_pass_request_body off;
                    proxy_set_header Content-Length "";
                    proxy_set_header Cookie $http_cookie;
                    proxy_set_header X-Original-URL $scheme://$http_host$request_uri;
                    proxy_set_header X-Forwarded-For $remote_addr;
                }
                location / {
                    auth_request /internal-auth;
                    auth_request_set $user $upstream_http_remote_user;
                    # Sekisho's 401 carries the login URL with rd already percent-encoded.
                    auth_request_set $login_url $upstream_http_location;
                    error_page 401 = @login;
                    proxy_set_header Remote-User $user;
                    proxy_pass http://127.0.0.1:\(upstreamPort);
                }
                location @login {
                    return 302 $login_url;
                }
            }
        }
        """
    }

    static func sekishoBinary() throws -> String {
        let path = ProcessInfo.processInfo.environment["SEKISHO_BIN"] ?? repositoryRoot() + "/.build/debug/sekisho"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw BrowserError("the sekisho binary is missing at \(path): run `swift build` first or set SEKISHO_BIN")
        }
        return path
    }

    /// Waits (at most 20 s) until `port` answers `path` with 200.
    static func waitUntilServing(_ process: ChildProcess, port: Int, path: String, host: String) async throws {
        var client = RawHTTPClient()
        for _ in 0..<200 {
            guard process.isRunning else { throw BrowserError("\(process.name) exited:\n\(process.log())") }
            if let response = try? await client.send(port: port, "GET", path, host: host), response.status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BrowserError("\(process.name) did not answer on port \(port) within 20 s:\n\(process.log())")
    }

    @Test func nginxAuthRequestGuardsAnAppBehindSekisho() async throws {
        let sekisho = try Self.sekishoBinary()
        for tool in [Self.nginx, Self.python, Self.oathtool] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw BrowserError("\(tool) is missing: install the Debian packages nginx, python3 and oathtool")
        }
        // Readable by others: nginx's workers do not run as root.
        try await ScratchDirectory.with("nginx", permissions: 0o755) { scratch in
            let directory = scratch.path
            try FileManager.default.createDirectory(atPath: directory + "/nginx-temp", withIntermediateDirectories: true)
            let dataDirectory = directory + "/data"

            let created = try await Command(
                sekisho,
                [
                    "user", "add", "alice", "--email", "alice@example.com", "--name", "Alice", "--two-factor", "--data-dir", dataDirectory,
                    "--set", "server.public_directory=\(repositoryRoot())/Public",
                ],
                input: Self.password + "\n",
                directory: directory
            ).run()
            #expect(created.status == 0, "sekisho user add: \(created.error)")

            let sekishoReservation = try FreePort.reserve()
            let sekishoPort = sekishoReservation.port
            let sekishoHost = "127.0.0.1:\(sekishoPort)"
            try await ChildProcess(
                "sekisho",
                executable: sekisho,
                arguments: [
                    "serve", "--data-dir", dataDirectory, "--port", "\(sekishoPort)",
                    "--set", "clock.check=false",
                    "--set", "server.public_directory=\(repositoryRoot())/Public",
                    "--set", "server.public_url=http://\(sekishoHost)",
                    "--set", "server.trusted_proxies=127.0.0.1/32",
                    "--set", "forward_auth.allowed_domains=example.test",
                ],
                directory: directory,
                logPath: directory + "/sekisho.log"
            ).whileRunning { server in
                try await Self.waitUntilServing(server, port: sekishoPort, path: "/healthz", host: sekishoHost)
                sekishoReservation.release()

                try await ChildProcess(
                    "upstream",
                    executable: Self.python,
                    arguments: ["-c", Self.echoScript, directory + "/upstream.log"],
                    directory: directory,
                    logPath: directory + "/upstream-stderr.log",
                    captureOutput: true
                ).whileRunning { upstream in
                    let portLine = await upstream.firstLine()
                    let upstreamPort = try #require(
                        portLine.hasPrefix("PORT ") ? Int(portLine.dropFirst(5)) : nil,
                        "upstream: \(portLine) \(upstream.log())"
                    )

                    let nginxReservation = try FreePort.reserve()
                    let nginxPort = nginxReservation.port
                    let configuration = directory + "/nginx.conf"
                    try Self.nginxConfiguration(directory: directory, port: nginxPort, sekishoPort: sekishoPort, upstreamPort: upstreamPort)
                        .write(toFile: configuration, atomically: true, encoding: .utf8)
                    try await ChildProcess(
                        "nginx",
                        executable: Self.nginx,
                        arguments: ["-p", directory, "-e", directory + "/nginx-error.log", "-c", configuration, "-g", "daemon off;"],
                        directory: directory,
                        logPath: directory + "/nginx-stderr.log"
                    ).whileRunning { proxy in
                        let appHost = "\(Self.appHost):\(nginxPort)"
                        let appURL = "http://\(appHost)/reports?year=2024&q=a%20b"
                        var visitor = RawHTTPClient()
                        // nginx answers even without a session once it is up: the login redirect.
                        for attempt in 0..<200 {
                            guard proxy.isRunning else { throw BrowserError("nginx exited:\n\(proxy.log())\n\(nginxLog(directory))") }
                            if (try? await visitor.send(port: nginxPort, "GET", "/", host: appHost)) != nil { break }
                            if attempt == 199 { throw BrowserError("nginx did not answer:\n\(nginxLog(directory))") }
                            try await Task.sleep(for: .milliseconds(100))
                        }
                        nginxReservation.release()

                        // 1. Without a sign-in nginx sends the visitor to the login page, with where they wanted to go.
                        let anonymous = try await visitor.send(port: nginxPort, "GET", "/reports?year=2024&q=a%20b", host: appHost)
                        #expect(anonymous.status == 302, "\(anonymous.status) \(anonymous.body) \(nginxLog(directory))")
                        let loginURL = try #require(anonymous.header("Location"), "no Location: \(nginxLog(directory))")
                        #expect(loginURL.hasPrefix("http://\(sekishoHost)/login?rd="))
                        #expect(URLComponents(string: loginURL)?.queryItems?.first { $0.name == "rd" }?.value == appURL)
                        #expect(Self.upstreamRequests(directory).isEmpty, "the upstream was reached without a sign-in")

                        // 2. Sign in through Sekisho's real pages, with an rd to a foreign domain: it must not be followed.
                        var browser = RawHTTPClient()
                        let origin = [("Origin", "http://\(sekishoHost)")]
                        let evil = "http://evil.example.net/steal"
                        var page = try await browser.send(port: sekishoPort, "GET", "/login?rd=" + Browser.encode(evil), host: sekishoHost)
                        var csrf = try #require(Browser.firstMatch(#"name="csrf" value="([^"]+)""#, in: page.body))
                        let passwordStep = try await browser.send(
                            port: sekishoPort,
                            "POST",
                            "/login",
                            host: sekishoHost,
                            headers: origin,
                            form: [("username", "alice"), ("password", Self.password), ("rd", evil), ("csrf", csrf)]
                        )
                        #expect(passwordStep.status == 303)
                        let enrollPath = try #require(passwordStep.header("Location"))
                        #expect(enrollPath.hasPrefix("/login/enroll"))
                        #expect(!enrollPath.contains("evil"))
                        page = try await browser.send(port: sekishoPort, "GET", enrollPath, host: sekishoHost)
                        csrf = try #require(Browser.firstMatch(#"name="csrf" value="([^"]+)""#, in: page.body))
                        let key = try #require(
                            Browser.firstMatch(#"id="manual-key">(.*?)</p>"#, in: page.body)?.replacingOccurrences(of: "<span>", with: "")
                                .replacingOccurrences(of: "</span>", with: "")
                        )
                        #expect(key.count == 24)
                        let totp = try await Command(Self.oathtool, ["--totp", "-b", key]).run()
                        #expect(totp.status == 0, "oathtool: \(totp.error)")
                        let code = totp.output.trimmingCharacters(in: .whitespacesAndNewlines)
                        let enrolled = try await browser.send(
                            port: sekishoPort,
                            "POST",
                            "/login/enroll",
                            host: sekishoHost,
                            headers: origin,
                            form: [("code", code), ("rd", evil), ("csrf", csrf)]
                        )
                        #expect(enrolled.status == 200, "enrollment: \(enrolled.status)")
                        let recoveryCodes = Browser.allMatches(#"<li>(\d{8})</li>"#, in: enrolled.body)
                        #expect(recoveryCodes.count == 10)
                        #expect(!enrolled.body.contains("evil.example.net"), "the page links to the foreign rd")
                        let session = try #require(browser.cookies["sekisho_session"])

                        // 3. Through nginx the upstream sees who signed in, and never a Remote-User the client made up.
                        visitor.cookies["sekisho_session"] = session
                        let signedIn = try await visitor.send(
                            port: nginxPort,
                            "GET",
                            "/reports",
                            host: appHost,
                            headers: [("Remote-User", "admin"), ("remote-user", "root")]
                        )
                        #expect(signedIn.status == 200, "\(signedIn.status) \(nginxLog(directory))")
                        #expect(signedIn.body.contains(#""remote_user": ["alice"]"#), "upstream saw: \(signedIn.body)")
                        #expect(!signedIn.body.contains("admin") && !signedIn.body.contains("root"))

                        // 4. After logout nginx refuses the old cookie again.
                        page = try await browser.send(port: sekishoPort, "GET", "/", host: sekishoHost)
                        csrf = try #require(Browser.firstMatch(#"name="csrf" value="([^"]+)""#, in: page.body))
                        let logout = try await browser.send(
                            port: sekishoPort,
                            "POST",
                            "/logout",
                            host: sekishoHost,
                            headers: origin,
                            form: [("csrf", csrf)]
                        )
                        #expect(logout.status == 303)
                        #expect(browser.cookies["sekisho_session"] == nil)
                        let afterLogout = try await visitor.send(
                            port: nginxPort,
                            "GET",
                            "/reports",
                            host: appHost,
                            headers: [("Remote-User", "alice")]
                        )
                        #expect(afterLogout.status == 302)
                        #expect(afterLogout.header("Location")?.hasPrefix("http://\(sekishoHost)/login?rd=") == true)

                        // 5. Signing in again (a recovery code: the TOTP code of this step is spent) returns to the app's URL.
                        page = try await browser.send(port: sekishoPort, "GET", "/login?rd=" + Browser.encode(appURL), host: sekishoHost)
                        csrf = try #require(Browser.firstMatch(#"name="csrf" value="([^"]+)""#, in: page.body))
                        let again = try await browser.send(
                            port: sekishoPort,
                            "POST",
                            "/login",
                            host: sekishoHost,
                            headers: origin,
                            form: [("username", "alice"), ("password", Self.password), ("rd", appURL), ("csrf", csrf)]
                        )
                        let verifyPath = try #require(again.header("Location"))
                        #expect(verifyPath.hasPrefix("/login/verify"))
                        page = try await browser.send(port: sekishoPort, "GET", verifyPath, host: sekishoHost)
                        csrf = try #require(Browser.firstMatch(#"name="csrf" value="([^"]+)""#, in: page.body))
                        let verified = try await browser.send(
                            port: sekishoPort,
                            "POST",
                            "/login/verify",
                            host: sekishoHost,
                            headers: origin,
                            form: [("code", try #require(recoveryCodes.first)), ("rd", appURL), ("csrf", csrf)]
                        )
                        #expect(verified.status == 303)
                        #expect(verified.header("Location") == appURL, "after sign-in went to \(verified.header("Location") ?? "-")")
                        visitor.cookies["sekisho_session"] = browser.cookies["sekisho_session"]
                        let back = try await visitor.send(port: nginxPort, "GET", "/reports?year=2024&q=a%20b", host: appHost)
                        #expect(back.status == 200)
                        #expect(back.body.contains(#""remote_user": ["alice"]"#))
                        // The upstream was reached exactly by the two signed-in requests.
                        #expect(Self.upstreamRequests(directory).count == 2)
                    }
                }
            }
        }
    }

    static func upstreamRequests(_ directory: String) -> [String] {
        ((try? String(contentsOfFile: directory + "/upstream.log", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }
}

private func nginxLog(_ directory: String) -> String {
    (try? String(contentsOfFile: directory + "/nginx-error.log", encoding: .utf8)).map { String($0.suffix(2000)) } ?? ""
}
