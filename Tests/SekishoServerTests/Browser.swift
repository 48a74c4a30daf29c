import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore

/// A minimal browser for router tests: keeps cookies, follows nothing, and reads the CSRF token
/// and other values out of the pages it gets.
struct Browser {
    let client: any TestClientProtocol
    var cookies: [String: String] = [:]
    var csrf: String?
    var lastPage = ""
    var origin: String? = "http://localhost"
    /// Sent as `User-Agent` with every request, when set.
    var userAgent: String?

    init(_ client: any TestClientProtocol) { self.client = client }

    @discardableResult
    mutating func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await send(uri, method: .get, headers: headers, body: nil)
    }

    /// Posts a form; the page's CSRF token is added unless `csrf` is given explicitly.
    @discardableResult
    mutating func post(
        _ uri: String,
        _ fields: [(String, String)],
        csrf explicitToken: String?? = nil,
        headers: HTTPFields = [:]
    ) async throws
        -> TestResponse
    {
        var fields = fields
        switch explicitToken {
        case .none: if let csrf { fields.append(("csrf", csrf)) }
        case .some(.some(let token)): fields.append(("csrf", token))
        case .some(.none): break
        }
        let body = fields.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        var headers = headers
        headers[.contentType] = "application/x-www-form-urlencoded"
        if let origin, headers[.origin] == nil { headers[.origin] = origin }
        return try await send(uri, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    mutating func send(_ uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
        var headers = headers
        if let userAgent, headers[.userAgent] == nil { headers[.userAgent] = userAgent }
        if !cookies.isEmpty {
            headers[.cookie] = cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
        }
        let response = try await client.executeRequest(uri: uri, method: method, headers: headers, body: body)
        for header in response.headers[values: .setCookie] {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            let name = String(pair[0])
            let value = pair.count > 1 ? String(pair[1]) : ""
            if value.isEmpty || header.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        lastPage = response.text
        if let token = Self.firstMatch(#"name="csrf" value="([^"]+)""#, in: lastPage) { csrf = token }
        return response
    }

    var sessionCookie: String? { cookies["sekisho_session"] }

    /// Signs out as a person does: from the dashboard's form, whose token belongs to the current
    /// session (a token from a page seen before the last sign-in step is refused), landing on the
    /// login page the answer leads to. Returns the answer to the logout.
    @discardableResult
    mutating func signOut() async throws -> TestResponse {
        try await get("/")
        let answer = try await post("/logout", [])
        if let location = answer.headers[.location] { try await get(location) }
        return answer
    }

    /// The 24-character key of the enrollment page, without the grouping.
    var manualKey: String? {
        Self.firstMatch(#"id="manual-key">(.*?)</p>"#, in: lastPage)?.replacingOccurrences(of: "<span>", with: "").replacingOccurrences(
            of: "</span>",
            with: ""
        )
    }

    var recoveryCodes: [String] { Self.allMatches(#"<li>(\d{8})</li>"#, in: lastPage) }

    var errorMessage: String? { Self.firstMatch(#"class="error"[^>]*>([^<]*)<"#, in: lastPage) }

    static func firstMatch(_ pattern: String, in text: String) -> String? { allMatches(pattern, in: text).first }

    static func allMatches(_ pattern: String, in text: String) -> [String] {
        guard let regex = try? NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators]) else { return [] }
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { match in
            Range(match.range(at: 1), in: text).map { String(text[$0]) }
        }
    }

    static func encode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}

extension TestEnvironment {
    /// Signs `user` in with the password and, for an unbound 2FA user, enrolls; returns the key.
    func signInAndEnroll(_ browser: inout Browser, user: String = "alice", password: String = "correct horse battery") async throws -> String {
        try await browser.get("/login")
        let response = try await browser.post("/login", [("username", user), ("password", password)])
        guard response.headers[.location] == "/login/enroll" else {
            throw BrowserError("expected enrollment, got \(response.status) \(response.headers[.location] ?? "")")
        }
        try await browser.get("/login/enroll")
        guard let key = browser.manualKey else { throw BrowserError("no key on the enrollment page") }
        let confirm = try await browser.post("/login/enroll", [("code", try code(for: key))])
        guard confirm.status == .ok, browser.recoveryCodes.count == 10 else { throw BrowserError("enrollment failed: \(browser.errorMessage ?? "")") }
        return key
    }

    /// Enrolls, signs out, and signs in again up to the code page: where most code tests start.
    @discardableResult
    func enrollThenReturnToCodePage(_ browser: inout Browser, user: String = "alice") async throws -> String {
        let key = try await signInAndEnroll(&browser, user: user)
        try await browser.get("/")
        try await browser.signOut()
        try await signInToCodePage(&browser, user: user)
        return key
    }

    /// Signs in with the password up to the code page.
    func signInToCodePage(_ browser: inout Browser, user: String = "alice", password: String = "correct horse battery") async throws {
        try await browser.get("/login")
        let response = try await browser.post("/login", [("username", user), ("password", password)])
        guard response.headers[.location] == "/login/verify" else {
            throw BrowserError("expected the code page, got \(response.headers[.location] ?? "\(response.status)")")
        }
        try await browser.get("/login/verify")
    }
}

struct BrowserError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
