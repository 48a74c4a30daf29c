import Foundation
import SekishoStore
import Yams

/// A relying party written in the configuration file under `oidc.clients`, for operators who keep
/// their setup as code. The file holds the secret's hash, never the secret: `sekisho oidc client
/// make-secret` prints a new secret for the app and the hash for the file.
///
/// ```yaml
/// oidc:
///   clients:
///     - id: grafana
///       name: Grafana
///       secret_hash: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
///       redirect_uris: [https://grafana.example.com/login/generic_oauth]
///       access: admins
/// ```
public struct ConfiguredOIDCClient: Sendable {
    public var request: OIDCClientRegistration.Request
    /// Lower-case hex SHA-256 of the secret; nil for a public client.
    public var secretHash: String?

    /// Every key a client entry may have; anything else is a typo and refused.
    static let keys: Set<String> = [
        "id", "name", "secret_hash", "public", "redirect_uris", "post_logout_redirect_uris", "scopes", "access", "users",
        "skip_consent", "require_pkce", "signing_alg", "access_token_lifetime", "id_token_lifetime", "refresh_token_lifetime",
    ]

    /// Reads the list under `oidc.clients`; errors name the entry and key (`oidc.clients[1].access`).
    static func list(from node: Node) throws(ConfigurationError) -> [ConfiguredOIDCClient] {
        guard case .sequence(let sequence) = node else {
            throw ConfigurationError(key: "oidc.clients", "expected a list of clients")
        }
        var clients: [ConfiguredOIDCClient] = []
        for (index, entry) in sequence.enumerated() {
            let client = try Entry(node: entry, at: "oidc.clients[\(index)]").client()
            guard !clients.contains(where: { $0.request.clientID == client.request.clientID }) else {
                throw ConfigurationError(key: "oidc.clients[\(index)].id", "client \(client.request.clientID) is listed twice")
            }
            clients.append(client)
        }
        return clients
    }

    /// One mapping of the list, read key by key.
    private struct Entry {
        let mapping: Node.Mapping
        let path: String

        init(node: Node, at path: String) throws(ConfigurationError) {
            guard case .mapping(let mapping) = node else { throw ConfigurationError(key: path, "expected a mapping of client settings") }
            for key in mapping.keys {
                guard let name = key.string, ConfiguredOIDCClient.keys.contains(name) else {
                    throw ConfigurationError(
                        key: "\(path).\(key.string ?? "?")",
                        "unknown key (known: \(ConfiguredOIDCClient.keys.sorted().joined(separator: ", ")))"
                    )
                }
            }
            self.mapping = mapping
            self.path = path
        }

        func client() throws(ConfigurationError) -> ConfiguredOIDCClient {
            guard let id = try string("id") else { throw ConfigurationError(key: "\(path).id", "every client needs an id") }
            var request = OIDCClientRegistration.Request(clientID: id, name: try string("name") ?? "", redirectURIs: try strings("redirect_uris"))
            request.postLogoutRedirectURIs = try strings("post_logout_redirect_uris")
            request.isPublic = try bool("public") ?? false
            if let scopes = mapping["scopes"] { request.scopes = try strings("scopes", node: scopes) }
            if let access = try string("access") {
                guard let policy = OIDCClient.AccessPolicy(rawValue: access) else {
                    throw ConfigurationError(key: "\(path).access", "expected everyone, admins or listed")
                }
                request.accessPolicy = policy
            }
            request.allowedUsernames = try strings("users")
            request.skipConsent = try bool("skip_consent") ?? false
            request.requirePKCE = try bool("require_pkce") ?? true
            if let alg = try string("signing_alg") {
                guard let algorithm = OIDCClient.SigningAlgorithm(rawValue: alg.uppercased()) else {
                    throw ConfigurationError(key: "\(path).signing_alg", "expected RS256 or ES256")
                }
                request.signingAlgorithm = algorithm
            }
            request.accessTokenLifetime = try int("access_token_lifetime") ?? request.accessTokenLifetime
            request.idTokenLifetime = try int("id_token_lifetime") ?? request.idTokenLifetime
            request.refreshTokenLifetime = try int("refresh_token_lifetime") ?? request.refreshTokenLifetime
            let secretHash = try string("secret_hash")?.lowercased()
            switch (request.isPublic, secretHash) {
            case (true, .some):
                throw ConfigurationError(key: "\(path).secret_hash", "a public client has no secret")
            case (false, .none):
                throw ConfigurationError(
                    key: "\(path).secret_hash",
                    "a confidential client needs secret_hash (make one with `sekisho oidc client make-secret`), or set public: true"
                )
            case (false, .some(let hash)) where hash.utf8.count != 64 || !hash.utf8.allSatisfy(Self.isHexDigit):
                throw ConfigurationError(key: "\(path).secret_hash", "expected the 64 hex digits `sekisho oidc client make-secret` prints")
            default:
                return ConfiguredOIDCClient(request: request, secretHash: secretHash)
            }
        }

        private func scalar(_ key: String) throws(ConfigurationError) -> Node.Scalar? {
            guard let node = mapping[key] else { return nil }
            guard case .scalar(let scalar) = node else { throw ConfigurationError(key: "\(path).\(key)", "expected a single value") }
            return scalar
        }

        private func string(_ key: String) throws(ConfigurationError) -> String? {
            try scalar(key)?.string
        }

        private func bool(_ key: String) throws(ConfigurationError) -> Bool? {
            guard let text = try scalar(key)?.string else { return nil }
            switch text.lowercased() {
            case "true", "yes", "on": return true
            case "false", "no", "off": return false
            default: throw ConfigurationError(key: "\(path).\(key)", "expected true or false")
            }
        }

        private func int(_ key: String) throws(ConfigurationError) -> Int? {
            guard let text = try scalar(key)?.string else { return nil }
            guard let value = Int(text) else { throw ConfigurationError(key: "\(path).\(key)", "expected a number of seconds") }
            return value
        }

        private func strings(_ key: String, node: Node? = nil) throws(ConfigurationError) -> [String] {
            guard let node = node ?? mapping[key] else { return [] }
            switch node {
            case .scalar(let scalar): return [scalar.string]
            case .sequence(let sequence):
                var values: [String] = []
                for item in sequence {
                    guard case .scalar(let scalar) = item else { throw ConfigurationError(key: "\(path).\(key)", "expected a list of values") }
                    values.append(scalar.string)
                }
                return values
            default: throw ConfigurationError(key: "\(path).\(key)", "expected a list of values")
            }
        }

        private static func isHexDigit(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66)
        }
    }
}
