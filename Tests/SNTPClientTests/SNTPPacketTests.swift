import NIOCore
import SNTPClient
import Testing

@Suite struct SNTPPacketTests {
    @Test func clientRequestIsVersion4Mode3WithOnlyTheNonce() {
        let bytes = SNTPPacket.clientRequest(transmitNonce: 0x0102_0304_0506_0708).bytes
        #expect(bytes.count == 48)
        // LI 0 (bits 7-6), VN 4 (bits 5-3), mode 3 (bits 2-0): 00 100 011.
        #expect(bytes[0] == 0x23)
        #expect(bytes[1..<40].allSatisfy { $0 == 0 })
        #expect(Array(bytes[40..<48]) == [1, 2, 3, 4, 5, 6, 7, 8])
    }

    @Test func decodesAServerReply() throws {
        // A reply as chrony sends it: LI 0, VN 4, mode 4, stratum 2, poll 6, precision −24.
        let bytes: [UInt8] =
            [0x24, 0x02, 0x06, 0xE8]
            + [0x00, 0x00, 0x01, 0x80]  // root delay 0x0180 / 65536 s
            + [0x00, 0x01, 0x00, 0x00]  // root dispersion 1 s
            + [0xC0, 0x00, 0x02, 0x01]  // reference id 192.0.2.1
            + [0xE9, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]
            + [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]
            + [0xE9, 0x00, 0x00, 0x01, 0x80, 0x00, 0x00, 0x00]
            + [0xE9, 0x00, 0x00, 0x01, 0xC0, 0x00, 0x00, 0x00]
        let packet = try SNTPPacket(decoding: bytes)
        #expect(packet.leapIndicator == 0)
        #expect(packet.version == 4)
        #expect(packet.mode == 4)
        #expect(packet.stratum == 2)
        #expect(packet.poll == 6)
        #expect(packet.precision == -24)
        #expect(packet.rootDelaySeconds == 384.0 / 65_536)
        #expect(packet.rootDispersionSeconds == 1)
        #expect(packet.referenceIDString == "192.0.2.1")
        #expect(packet.referenceTimestamp == NTPTimestamp(seconds: 0xE900_0000, fraction: 0))
        #expect(packet.originTimestamp.rawValue == 0x1122_3344_5566_7788)
        #expect(packet.receiveTimestamp == NTPTimestamp(seconds: 0xE900_0001, fraction: 0x8000_0000))
        #expect(packet.transmitTimestamp.seconds(since: packet.receiveTimestamp) == 0.25)
        #expect(packet.bytes == bytes)
    }

    @Test func flagsDecodeLeapIndicatorVersionAndMode() throws {
        var bytes = [UInt8](repeating: 0, count: 48)
        bytes[0] = 0b11_011_100  // LI 3, VN 3, mode 4
        let packet = try SNTPPacket(decoding: bytes)
        #expect(packet.leapIndicator == 3)
        #expect(packet.version == 3)
        #expect(packet.mode == 4)
    }

    @Test func encodeDecodeRoundTrip() throws {
        let packet = SNTPPacket(
            leapIndicator: 2,
            version: 3,
            mode: 4,
            stratum: 15,
            poll: -3,
            precision: -30,
            rootDelay: 7,
            rootDispersion: 9,
            referenceID: 0x4C4F_434C,
            referenceTimestamp: NTPTimestamp(rawValue: 1),
            originTimestamp: NTPTimestamp(rawValue: .max),
            receiveTimestamp: NTPTimestamp(rawValue: 3),
            transmitTimestamp: NTPTimestamp(rawValue: 4)
        )
        #expect(try SNTPPacket(decoding: packet.bytes) == packet)
    }

    @Test(arguments: [0, 1, 20, 47])
    func shortPacketIsTruncated(byteCount: Int) {
        #expect(throws: SNTPError.truncated(byteCount: byteCount)) {
            try SNTPPacket(decoding: [UInt8](repeating: 0x24, count: byteCount))
        }
    }

    @Test func decodingStartsAtTheReaderIndexAndIgnoresExtensions() throws {
        // Header plus a 20-byte extension/MAC that SNTP ignores, after 3 bytes already read.
        let header = SNTPPacket(mode: 4, stratum: 1, referenceID: 0x4750_5300, transmitTimestamp: NTPTimestamp(rawValue: 42))
        var buffer = ByteBuffer(bytes: [9, 9, 9] + header.bytes + [UInt8](repeating: 0xAA, count: 20))
        buffer.moveReaderIndex(forwardBy: 3)
        let packet = try SNTPPacket(decoding: buffer)
        #expect(packet == header)
        #expect(packet.referenceIDString == "GPS")
        #expect(buffer.readableBytes == 68)  // not consumed
    }

    @Test func referenceIDTextDependsOnStratum() {
        #expect(SNTPPacket(mode: 4, stratum: 0, referenceID: 0x5241_5445).referenceIDString == "RATE")
        #expect(SNTPPacket(mode: 4, stratum: 1, referenceID: 0x4C4F_434C).referenceIDString == "LOCL")
        #expect(SNTPPacket(mode: 4, stratum: 8, referenceID: 0x7F7F_0101).referenceIDString == "127.127.1.1")
        // Control characters from a hostile server never reach the logs.
        #expect(SNTPPacket(mode: 4, stratum: 0, referenceID: 0x410A_1B42).referenceIDASCII == "A??B")
    }
}
