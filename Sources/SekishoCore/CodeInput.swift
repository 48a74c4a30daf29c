/// What a person typed into a code field, reduced to its ASCII digits.
///
/// Spaces and other whitespace (the ideographic space too) and dashes are removed: apps show
/// "123 456", recovery codes are printed as `1234-5678`. Full-width digits, which Japanese input
/// methods produce, become ASCII digits. The same rule serves authenticator codes and recovery
/// codes, so what one field accepts the other does too.
public enum CodeInput {
    /// The digits of `input`, or nil when it holds anything else or more than `maximumCount` digits.
    public static func digits(_ input: String, maximumCount: Int = 16) -> String? {
        var output: [UInt8] = []
        for scalar in input.unicodeScalars {
            switch scalar.value {
            case 0x30...0x39:
                output.append(UInt8(scalar.value))
            case 0xFF10...0xFF19:  // FULLWIDTH DIGIT ZERO...NINE
                output.append(UInt8(scalar.value - 0xFF10 + 0x30))
            case 0x2D, 0x2010, 0x2011, 0x2012, 0x2013, 0x2212, 0xFF0D:  // '-' and look-alike dashes
                continue
            default:
                guard scalar.properties.isWhitespace else { return nil }
            }
            guard output.count <= maximumCount else { return nil }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
