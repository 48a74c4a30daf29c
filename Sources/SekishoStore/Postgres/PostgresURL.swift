import Foundation

/// A parsed `database.url` of the form `postgres://user:password@host:port/database?sslmode=...`.
///
/// User name and password are percent-decoded, so a password with `@`, `:` or `/` is written
/// `p%40ss`. The port defaults to 5432 and the database to the user name (PostgreSQL's own rule).
///
/// `sslmode` follows libpq's names:
/// - `disable`: plain TCP. The default for loopback hosts (`localhost`, `127.0.0.0/8`, `::1`),
///   where TLS protects nothing.
/// - `prefer`: TLS when the server offers it, without checking the certificate.
/// - `require`: TLS, without checking the certificate.
/// - `verify-full`: TLS with the certificate checked against the system's (or `sslrootcert`'s)
///   authorities and the host name. The default for every other host: the password and every
///   session token cross the network.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    public enum SSLMode: String, Sendable, Equatable {
        case disable
        case prefer
        case require
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String?
    public var sslMode: SSLMode
    /// A PEM file of the certificate authorities to trust instead of the system's.
    public var sslRootCertificate: String?

    /// A URL that names the database was malformed; `description` says what is wrong.
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// Parses `string`; throws a `ParseError` that names the part that is wrong.
    public init(_ string: String) throws {
        // The password must never appear in an error message, so errors quote the redacted form.
        guard let components = URLComponents(string: string) else {
            throw ParseError(description: "database URL is not a valid URL (expected postgres://user:password@host:port/database)")
        }
        guard let scheme = components.scheme?.lowercased(), scheme == "postgres" || scheme == "postgresql" else {
            throw ParseError(description: "database URL must start with postgres:// or postgresql://")
        }
        guard var host = components.host, !host.isEmpty else {
            throw ParseError(description: "database URL has no host (expected postgres://user:password@host:port/database)")
        }
        if host.hasPrefix("["), host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        }
        guard let username = components.user, !username.isEmpty else {
            throw ParseError(description: "database URL has no user name (expected postgres://user:password@host:port/database)")
        }
        let path = components.path
        guard path.isEmpty || path == "/" || !path.dropFirst().contains("/") else {
            throw ParseError(description: "database URL path must be a single database name, not \(path)")
        }
        let database = path.count > 1 ? String(path.dropFirst()) : nil

        var sslMode: SSLMode? = nil
        var rootCertificate: String? = nil
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let mode = SSLMode(rawValue: value) else {
                    throw ParseError(
                        description: "database URL sslmode must be disable, prefer, require or verify-full, not \(item.value ?? "empty")"
                    )
                }
                sslMode = mode
            case "sslrootcert":
                guard let value = item.value, !value.isEmpty else { throw ParseError(description: "database URL sslrootcert is empty") }
                rootCertificate = value
            default:
                throw ParseError(description: "database URL has an unknown parameter \(item.name) (known: sslmode, sslrootcert)")
            }
        }
        if let port = components.port, !(1...65_535).contains(port) {
            throw ParseError(description: "database URL port \(port) is out of range")
        }

        self.host = host
        self.port = components.port ?? 5432
        self.username = username
        self.password = components.password
        self.database = database
        self.sslMode = sslMode ?? (Self.isLoopback(host) ? .disable : .verifyFull)
        self.sslRootCertificate = rootCertificate
    }

    /// The URL without its password: safe for logs, `/readyz` and `location`.
    public var description: String {
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(username)@\(bracketed):\(port)/\(database ?? username)"
    }

    static func isLoopback(_ host: String) -> Bool {
        let lowered = host.lowercased()
        return lowered == "localhost" || lowered == "::1" || lowered.hasPrefix("127.")
    }
}
