import CQRencode

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Draws QR codes as small, self-contained SVG suitable for inlining in a page under a strict CSP.
public enum QRCode {
    /// Encodes `text` (its UTF-8 bytes, in 8-bit mode, error-correction level M, smallest version that
    /// fits) and returns an SVG drawing of it.
    ///
    /// The SVG has a white background and a single black `<path>`; colours are presentation attributes,
    /// not `style`, and there is no script, so `style-src 'self'` and `script-src 'self'` allow it inline.
    ///
    /// - Parameters:
    ///   - text: The payload, for example an `otpauth://totp/...` URI.
    ///   - moduleSize: Width and height of one module in CSS pixels, for the `width`/`height` attributes.
    ///   - quietZone: Light border around the symbol in modules; the standard asks for 4.
    /// - Throws: ``QRCodeError`` if the text is too long, contains NUL, or the geometry is invalid.
    public static func svg(for text: String, moduleSize: Int = 4, quietZone: Int = 4) throws -> String {
        guard moduleSize >= 1, quietZone >= 0 else {
            throw QRCodeError.invalidGeometry(moduleSize: moduleSize, quietZone: quietZone)
        }
        guard !text.utf8.contains(0) else {
            throw QRCodeError.textContainsNUL
        }
        // 8-bit mode keeps the URI's bytes exactly; the automatic modes could re-encode parts as Kanji.
        guard let symbol = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M) else {
            let error = errno
            if error == ERANGE {
                throw QRCodeError.textTooLong(byteCount: text.utf8.count)
            }
            throw QRCodeError.encodingFailed(errno: error)
        }
        defer { QRcode_free(symbol) }

        let width = Int(symbol.pointee.width)
        let modules = UnsafeBufferPointer(start: symbol.pointee.data, count: width * width)
        let size = width + 2 * quietZone
        let pixels = size * moduleSize

        var path = ""
        for row in 0..<width {
            var column = 0
            while column < width {
                // Bit 0 of each module byte is set for a dark module; the other bits describe its role.
                guard modules[row * width + column] & 1 == 1 else {
                    column += 1
                    continue
                }
                let start = column
                while column < width, modules[row * width + column] & 1 == 1 {
                    column += 1
                }
                let run = column - start
                // One subpath per horizontal run of dark modules: a run-length rectangle.
                path += "M\(start + quietZone) \(row + quietZone)h\(run)v1h-\(run)z"
            }
        }

        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(size) \(size)" width="\(pixels)" height="\(pixels)" \
            shape-rendering="crispEdges" role="img" aria-label="QR code">\
            <rect width="\(size)" height="\(size)" fill="#fff"/>\
            <path fill="#000" d="\(path)"/>\
            </svg>
            """
    }
}
