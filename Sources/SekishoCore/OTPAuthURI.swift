/// An `otpauth://totp/...` URI in Google's Key URI format, the payload of an enrollment QR code.
///
/// Only non-default parameters are written, because some authenticator apps mishandle explicit
/// ones (several ignore `algorithm` and would silently compute SHA-1 codes).
///
/// ```swift
/// let uri = try OTPAuthURI(issuer: "Sekisho", account: "alice", secret: secret)
/// uri.uriString  // "otpauth://totp/Sekisho:alice?secret=...&issuer=Sekisho"
/// ```
public struct OTPAuthURI: Sendable, Equatable {
    /// The service name shown in the authenticator app.
    public let issuer: String
    /// The account name shown under the issuer.
    public let account: String
    /// The shared key bytes.
    public let secret: [UInt8]
    /// The HMAC hash function.
    public let algorithm: OTPAlgorithm
    /// Code length, 6...8.
    public let digits: Int
    /// Seconds per step.
    public let period: Int

    /// Creates a URI after checking that every part can be represented unambiguously.
    ///
    /// - Throws: ``OTPAuthURIError`` for an empty issuer, account or secret, a `:` in the issuer or
    ///   account (the label uses `:` as its separator), digits outside 6...8, or a period below 1.
    public init(
        issuer: String,
        account: String,
        secret: [UInt8],
        algorithm: OTPAlgorithm = .sha1,
        digits: Int = 6,
        period: Int = 30
    ) throws(OTPAuthURIError) {
        guard !issuer.isEmpty else { throw .emptyIssuer }
        guard !account.isEmpty else { throw .emptyAccount }
        guard !issuer.contains(":") else { throw .colonInIssuer }
        guard !account.contains(":") else { throw .colonInAccount }
        guard !secret.isEmpty else { throw .emptySecret }
        guard (6...8).contains(digits) else { throw .invalidDigits(String(digits)) }
        guard period >= 1 else { throw .invalidPeriod(String(period)) }
        self.issuer = issuer
        self.account = account
        self.secret = secret
        self.algorithm = algorithm
        self.digits = digits
        self.period = period
    }

    /// The URI text, with the issuer both in the label and as a parameter (as Google recommends).
    public var uriString: String {
        let issuerEncoded = Self.percentEncode(issuer)
        var uri = "otpauth://totp/\(issuerEncoded):\(Self.percentEncode(account))"
        uri += "?secret=\(Base32.encode(secret))&issuer=\(issuerEncoded)"
        if algorithm != .sha1 { uri += "&algorithm=\(algorithm.rawValue)" }
        if digits != 6 { uri += "&digits=\(digits)" }
        if period != 30 { uri += "&period=\(period)" }
        return uri
    }

    /// Parses a TOTP key URI.
    ///
    /// Accepts the label with or without an issuer prefix, `:` written literally or as `%3A`,
    /// parameters in any order and unknown parameters (such as `image`), which are ignored.
    ///
    /// - Throws: ``OTPAuthURIError`` when the text is not a well-formed `otpauth://totp/` URI, a
    ///   parameter is repeated or invalid, the secret is missing or not base32, or the label's
    ///   issuer differs from the `issuer` parameter.
    public init(parsing string: String) throws(OTPAuthURIError) {
        let prefix = "otpauth://"
        guard string.utf8.count > prefix.utf8.count,
            String(decoding: string.utf8.prefix(prefix.utf8.count), as: UTF8.self).lowercased() == prefix
        else { throw .notOTPAuth }
        let rest = string.utf8.dropFirst(prefix.utf8.count)

        // type "/" label [ "?" query ]; a fragment is never part of a key URI.
        guard !rest.contains(UInt8(ascii: "#")) else { throw .malformed("fragment not allowed") }
        guard let slash = rest.firstIndex(of: UInt8(ascii: "/")) else { throw .malformed("missing label") }
        let type = String(decoding: rest[rest.startIndex..<slash], as: UTF8.self).lowercased()
        guard type == "totp" else { throw .unsupportedType(type) }
        let afterSlash = rest[rest.index(after: slash)...]
        let question = afterSlash.firstIndex(of: UInt8(ascii: "?")) ?? afterSlash.endIndex
        let label = try Self.percentDecode(afterSlash[afterSlash.startIndex..<question])
        let query = question == afterSlash.endIndex ? afterSlash[question...] : afterSlash[afterSlash.index(after: question)...]

        var parameters: [String: String] = [:]
        for pair in query.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = pair.firstIndex(of: UInt8(ascii: "=")) ?? pair.endIndex
            let name = try Self.percentDecode(pair[pair.startIndex..<equals]).lowercased()
            let value = equals == pair.endIndex ? "" : try Self.percentDecode(pair[pair.index(after: equals)...])
            // A repeated parameter could mean different things to different apps; refuse it.
            guard parameters.updateValue(value, forKey: name) == nil else { throw .duplicateParameter(name) }
        }

        let labelParts = label.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let labelIssuer = labelParts.count == 2 ? String(labelParts[0]) : nil
        let account = String(labelParts[labelParts.count - 1])
        let parameterIssuer = parameters["issuer"]
        if let labelIssuer, let parameterIssuer, labelIssuer != parameterIssuer {
            throw .issuerMismatch(label: labelIssuer, parameter: parameterIssuer)
        }
        guard let issuer = parameterIssuer ?? labelIssuer else { throw .emptyIssuer }

        guard let secretText = parameters["secret"], !secretText.isEmpty else { throw .missingSecret }
        let secret: [UInt8]
        do {
            secret = try Base32.decode(secretText)
        } catch {
            throw .invalidSecret(error)
        }

        var algorithm = OTPAlgorithm.sha1
        if let text = parameters["algorithm"] {
            guard let parsed = OTPAlgorithm(rawValue: text.uppercased()) else { throw .unsupportedAlgorithm(text) }
            algorithm = parsed
        }
        var digits = 6
        if let text = parameters["digits"] {
            guard let parsed = Self.parseDecimal(text) else { throw .invalidDigits(text) }
            digits = parsed
        }
        var period = 30
        if let text = parameters["period"] {
            guard let parsed = Self.parseDecimal(text) else { throw .invalidPeriod(text) }
            period = parsed
        }
        try self.init(issuer: issuer, account: account, secret: secret, algorithm: algorithm, digits: digits, period: period)
    }

    /// Percent-encodes the UTF-8 bytes of everything except RFC 3986 unreserved characters.
    static func percentEncode(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "_"), UInt8(ascii: "~"):
                output.append(byte)
            default:
                output += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes `%XX` escapes; the result must be valid UTF-8. `+` stays `+` (RFC 3986, not forms).
    static func percentDecode<S: Collection<UInt8>>(_ bytes: S) throws(OTPAuthURIError) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var iterator = bytes.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                output.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                throw .malformed("invalid percent escape")
            }
            output.append(high << 4 | low)
        }
        guard let text = String(validating: output, as: UTF8.self) else { throw .malformed("not UTF-8") }
        return text
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    /// Parses 1 to 9 ASCII digits, refusing signs, spaces and anything `Int(_:)` would also accept.
    private static func parseDecimal(_ text: String) -> Int? {
        guard (1...9).contains(text.utf8.count), text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int(text)
    }
}

/// Why an `otpauth://` URI could not be made or parsed.
public enum OTPAuthURIError: Error, Hashable, Sendable, CustomStringConvertible {
    case emptyIssuer
    case emptyAccount
    case colonInIssuer
    case colonInAccount
    case emptySecret
    case invalidDigits(String)
    case invalidPeriod(String)
    case notOTPAuth
    case unsupportedType(String)
    case malformed(String)
    case duplicateParameter(String)
    case issuerMismatch(label: String, parameter: String)
    case missingSecret
    case invalidSecret(Base32Error)
    case unsupportedAlgorithm(String)

    public var description: String {
        switch self {
        case .emptyIssuer: "otpauth URI: the issuer is empty"
        case .emptyAccount: "otpauth URI: the account name is empty"
        case .colonInIssuer: "otpauth URI: the issuer must not contain ':'"
        case .colonInAccount: "otpauth URI: the account name must not contain ':'"
        case .emptySecret: "otpauth URI: the secret is empty"
        case .invalidDigits(let text): "otpauth URI: digits must be 6, 7 or 8, got '\(text)'"
        case .invalidPeriod(let text): "otpauth URI: period must be a positive number of seconds, got '\(text)'"
        case .notOTPAuth: "otpauth URI: not an otpauth:// URI"
        case .unsupportedType(let type): "otpauth URI: type '\(type)' is not supported (only totp)"
        case .malformed(let reason): "otpauth URI: malformed (\(reason))"
        case .duplicateParameter(let name): "otpauth URI: parameter '\(name)' appears more than once"
        case .issuerMismatch(let label, let parameter):
            "otpauth URI: label issuer '\(label)' differs from issuer parameter '\(parameter)'"
        case .missingSecret: "otpauth URI: the secret parameter is missing"
        case .invalidSecret(let error): "otpauth URI: the secret is not valid base32 (\(error))"
        case .unsupportedAlgorithm(let text): "otpauth URI: algorithm '\(text)' is not supported"
        }
    }
}
