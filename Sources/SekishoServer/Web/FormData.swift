import Foundation
import Hummingbird

/// The fields of an `application/x-www-form-urlencoded` body.
///
/// Parsed by hand so that every kind of broken input (bad percent-escapes, invalid UTF-8, NUL
/// bytes, repeated fields) is refused with 400 instead of being half-understood.
struct FormData: Sendable {
    private(set) var fields: [String: String]

    init(fields: [String: String]) { self.fields = fields }

    subscript(_ name: String) -> String? { fields[name] }

    /// Collects and parses the body of `request`, at most `limit` bytes (413 beyond).
    static func parse(_ request: Request, limit: Int) async throws -> FormData {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/x-www-form-urlencoded") else {
            throw HTTPError(.unsupportedMediaType, message: "Forms must be sent as application/x-www-form-urlencoded.")
        }
        let buffer = try await RequestBodyAborted.collect(request, upTo: limit)
        return try parse(bytes: Array(buffer.readableBytesView))
    }

    static func parse(bytes: [UInt8]) throws(HTTPError) -> FormData {
        var fields: [String: String] = [:]
        for pair in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = try decode(parts[0])
            let value = try parts.count > 1 ? decode(parts[1]) : ""
            guard fields[name] == nil else { throw HTTPError(.badRequest, message: "The form field \(name) was sent twice.") }
            fields[name] = value
        }
        return FormData(fields: fields)
    }

    private static func decode(_ bytes: ArraySlice<UInt8>) throws(HTTPError) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "+"):
                output.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard index + 2 < bytes.endIndex, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) else {
                    throw HTTPError(.badRequest, message: "The form is not correctly encoded.")
                }
                output.append(high << 4 | low)
                index += 2
            default:
                output.append(byte)
            }
            index += 1
        }
        guard let text = String(validating: output, as: UTF8.self), !text.unicodeScalars.contains(where: { $0.value == 0 }) else {
            throw HTTPError(.badRequest, message: "The form contains bytes that are not text.")
        }
        return text
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
