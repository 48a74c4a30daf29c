/// Why ``QRCode`` could not draw a symbol.
public struct QRCodeError: Error, Hashable, CustomStringConvertible {
    private enum Base: Hashable {
        case textTooLong(byteCount: Int)
        case textContainsNUL
        case invalidGeometry(moduleSize: Int, quietZone: Int)
        case encodingFailed(errno: Int32)
    }

    private let base: Base

    private init(_ base: Base) {
        self.base = base
    }

    /// The text does not fit in the largest QR code (version 40) at error-correction level M.
    public static func textTooLong(byteCount: Int) -> QRCodeError { QRCodeError(.textTooLong(byteCount: byteCount)) }
    /// The text contains a NUL byte, which libqrencode's C-string API cannot carry.
    public static let textContainsNUL = QRCodeError(.textContainsNUL)
    /// The module size is below 1 or the quiet zone is negative.
    public static func invalidGeometry(moduleSize: Int, quietZone: Int) -> QRCodeError {
        QRCodeError(.invalidGeometry(moduleSize: moduleSize, quietZone: quietZone))
    }
    /// libqrencode failed for another reason, given by `errno`.
    public static func encodingFailed(errno: Int32) -> QRCodeError { QRCodeError(.encodingFailed(errno: errno)) }

    public var description: String {
        switch self.base {
        case .textTooLong(let byteCount):
            "QR code: \(byteCount) bytes do not fit in a version 40 symbol at error-correction level M"
        case .textContainsNUL:
            "QR code: the text contains a NUL byte"
        case .invalidGeometry(let moduleSize, let quietZone):
            "QR code: module size \(moduleSize) must be at least 1 and quiet zone \(quietZone) at least 0"
        case .encodingFailed(let errno):
            "QR code: libqrencode failed with errno \(errno)"
        }
    }
}
