import Foundation
import SekishoCore
import TestSupport
import Testing

@Suite("QRCode")
struct QRCodeTests {
    static let uris = [
        "otpauth://totp/Sekisho:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DP&issuer=Sekisho&algorithm=SHA1&digits=6&period=30",
        "otpauth://totp/Sekisho:%E5%B1%B1%E7%94%B0%E5%A4%AA%E9%83%8E?secret=GEZDGNBVGY3TQOJQGEZDGNBV&issuer=%E9%96%A2%E6%89%80",
        "otpauth://totp/Example%20Corp:bob%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example%20Corp&algorithm=SHA256",
        "otpauth://totp/Sekisho:carol?secret=MFRGGZDFMZTWQ2LKNNWG23TP&issuer=Sekisho&algorithm=SHA512&digits=8&period=60",
        "otpauth://totp/A:b?secret=AAAAAAAAAAAAAAAAAAAAAAAA",
    ]

    @Test("rendered SVG decodes back to the exact URI with zbarimg", arguments: Self.uris)
    func roundTrip(uri: String) async throws {
        let svg = try QRCode.svg(for: uri)
        try await ScratchDirectory.with("qr") { directory in
            let svgPath = directory.path("in.svg")
            let pngPath = directory.path("out.png")
            try Data(svg.utf8).write(to: URL(fileURLWithPath: svgPath))

            let render = try await Command("rsvg-convert", ["-w", "400", "-o", pngPath, svgPath]).run()
            try #require(render.status == 0, "rsvg-convert failed: \(render.error)")
            let scan = try await Command("zbarimg", ["--raw", "-q", pngPath]).run()
            try #require(scan.status == 0, "zbarimg found no code: \(scan.error)")
            var decoded = scan.output
            if decoded.hasSuffix("\n") { decoded.removeLast() }
            #expect(decoded == uri)
        }
    }

    @Test("SVG is CSP-friendly: no script, no style attribute, colours as attributes", arguments: Self.uris)
    func strictCSP(uri: String) throws {
        let svg = try QRCode.svg(for: uri)
        let size = try #require(svg.firstMatch(of: /viewBox="0 0 (\d+) \1"/)).1
        #expect(!svg.contains("<script"))
        #expect(!svg.contains("style="))
        #expect(!svg.contains("<style"))
        #expect(!svg.lowercased().contains(" on"))  // no event-handler attributes
        #expect(svg.hasPrefix(#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 "#))
        #expect(svg.contains(#"shape-rendering="crispEdges" role="img" aria-label="QR code""#))
        #expect(svg.contains(##"<rect width="\##(size)" height="\##(size)" fill="#fff"/>"##))
        #expect(svg.contains(##"<path fill="#000" d="M"##))
        #expect(svg.components(separatedBy: "<path").count == 2)
        #expect(svg.hasSuffix("</svg>"))
    }

    @Test("geometry: quiet zone of 4 modules around the symbol, size scaled by moduleSize")
    func geometry() throws {
        // "HELLO" in 8-bit mode at level M fits version 1: 21 modules, plus 2 × 4 quiet = 29.
        let svg = try QRCode.svg(for: "HELLO", moduleSize: 3)
        #expect(svg.contains(#"viewBox="0 0 29 29" width="87" height="87""#))
        let wide = try QRCode.svg(for: "HELLO", moduleSize: 1, quietZone: 0)
        #expect(wide.contains(#"viewBox="0 0 21 21" width="21" height="21""#))
        // Version 1's top-left finder pattern starts with a 7-module dark run at the quiet-zone corner.
        #expect(svg.contains(#"d="M4 4h7v1h-7z"#))
        // Horizontal runs are merged: far fewer subpaths than dark modules would need one each.
        let subpaths = svg.components(separatedBy: "M").count - 1
        #expect(subpaths > 0 && subpaths < 21 * 21 / 3)
    }

    @Test("text too long for version 40 throws textTooLong")
    func tooLong() {
        // Version 40-M holds at most 2331 bytes in 8-bit mode.
        #expect(throws: QRCodeError.textTooLong(byteCount: 3000)) {
            try QRCode.svg(for: String(repeating: "a", count: 3000))
        }
        #expect(throws: Never.self) {
            try QRCode.svg(for: String(repeating: "a", count: 2331))
        }
    }

    @Test("invalid input and geometry throw")
    func invalid() {
        #expect(throws: QRCodeError.textContainsNUL) { try QRCode.svg(for: "a\u{0}b") }
        #expect(throws: QRCodeError.invalidGeometry(moduleSize: 0, quietZone: 4)) { try QRCode.svg(for: "a", moduleSize: 0) }
        #expect(throws: QRCodeError.invalidGeometry(moduleSize: 4, quietZone: -1)) { try QRCode.svg(for: "a", quietZone: -1) }
    }
}
