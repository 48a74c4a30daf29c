import Foundation

/// The browser's `clientDataJSON` (WebAuthn §5.8.1): what it says was asked, by which origin.
public struct CollectedClientData: Sendable {
    public let type: String
    public let challenge: [UInt8]
    public let origin: String
    public let crossOrigin: Bool

    /// Client data longer than this is refused before it is parsed.
    public static let maximumLength = 4096

    public init(_ json: [UInt8]) throws(WebAuthnError) {
        guard json.count <= Self.maximumLength else { throw .malformedClientData("\(json.count) bytes") }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(json))) as? [String: Any] else {
            throw .malformedClientData("not a JSON object")
        }
        guard let type = object["type"] as? String, let challenge = object["challenge"] as? String, let origin = object["origin"] as? String
        else { throw .malformedClientData("type, challenge or origin missing") }
        guard let decoded = Base64URL.decode(challenge) else { throw .malformedClientData("challenge is not base64url") }
        self.type = type
        self.challenge = decoded
        self.origin = origin
        self.crossOrigin = object["crossOrigin"] as? Bool ?? false
    }
}
