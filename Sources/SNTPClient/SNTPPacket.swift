import NIOCore

/// The 48-byte NTP packet header (RFC 5905 §7.3) as used by SNTP; extension fields and MACs are ignored.
public struct SNTPPacket: Hashable, Sendable {
    /// The size of the header on the wire.
    public static let size = 48

    /// Leap indicator, 0...3; 3 means "clock unsynchronised".
    public var leapIndicator: UInt8
    /// Protocol version, 1...7.
    public var version: UInt8
    /// Association mode, 0...7: 3 is client, 4 is server.
    public var mode: UInt8
    /// 0 for kiss-o'-death, 1 for a primary server, 2...15 for secondary servers, 16 for unsynchronised.
    public var stratum: UInt8
    /// Log2 of the poll interval in seconds.
    public var poll: Int8
    /// Log2 of the clock precision in seconds.
    public var precision: Int8
    /// Round-trip delay to the reference clock, NTP short format (16.16 fixed point seconds).
    public var rootDelay: UInt32
    /// Dispersion to the reference clock, NTP short format.
    public var rootDispersion: UInt32
    /// Reference clock identifier; the kiss code when stratum is 0.
    public var referenceID: UInt32
    /// When the server's clock was last set.
    public var referenceTimestamp: NTPTimestamp
    /// T1 as the server saw it: the transmit timestamp of the request this packet answers.
    public var originTimestamp: NTPTimestamp
    /// T2: when the server received the request.
    public var receiveTimestamp: NTPTimestamp
    /// T3: when the server sent this packet (or, in a request, any value the client will recognise in the reply).
    public var transmitTimestamp: NTPTimestamp

    /// Builds a packet from its fields; every field defaults to zero.
    public init(
        leapIndicator: UInt8 = 0,
        version: UInt8 = 4,
        mode: UInt8,
        stratum: UInt8 = 0,
        poll: Int8 = 0,
        precision: Int8 = 0,
        rootDelay: UInt32 = 0,
        rootDispersion: UInt32 = 0,
        referenceID: UInt32 = 0,
        referenceTimestamp: NTPTimestamp = .zero,
        originTimestamp: NTPTimestamp = .zero,
        receiveTimestamp: NTPTimestamp = .zero,
        transmitTimestamp: NTPTimestamp = .zero
    ) {
        self.leapIndicator = leapIndicator
        self.version = version
        self.mode = mode
        self.stratum = stratum
        self.poll = poll
        self.precision = precision
        self.rootDelay = rootDelay
        self.rootDispersion = rootDispersion
        self.referenceID = referenceID
        self.referenceTimestamp = referenceTimestamp
        self.originTimestamp = originTimestamp
        self.receiveTimestamp = receiveTimestamp
        self.transmitTimestamp = transmitTimestamp
    }

    /// A client request (LI 0, version 4, mode 3) whose only non-zero field is the transmit timestamp.
    ///
    /// Per RFC 9109 / draft-ietf-ntp-data-minimization the transmit field carries a random nonce rather than our
    /// clock reading: it hides our time from the network and makes replies hard to forge, because the server must
    /// echo it as the origin timestamp. The real send time stays local.
    public static func clientRequest(transmitNonce: UInt64) -> SNTPPacket {
        SNTPPacket(mode: 3, transmitTimestamp: NTPTimestamp(rawValue: transmitNonce))
    }

    /// Decodes the header at the start of `buffer`'s readable bytes without consuming them.
    ///
    /// - Throws: ``SNTPError/truncated(byteCount:)`` if fewer than 48 bytes are readable.
    public init(decoding buffer: ByteBuffer) throws(SNTPError) {
        let start = buffer.readerIndex
        guard buffer.readableBytes >= Self.size,
            let flags = buffer.getInteger(at: start, as: UInt8.self),
            let stratum = buffer.getInteger(at: start + 1, as: UInt8.self),
            let poll = buffer.getInteger(at: start + 2, as: Int8.self),
            let precision = buffer.getInteger(at: start + 3, as: Int8.self),
            let rootDelay = buffer.getInteger(at: start + 4, as: UInt32.self),
            let rootDispersion = buffer.getInteger(at: start + 8, as: UInt32.self),
            let referenceID = buffer.getInteger(at: start + 12, as: UInt32.self),
            let reference = buffer.getInteger(at: start + 16, as: UInt64.self),
            let origin = buffer.getInteger(at: start + 24, as: UInt64.self),
            let receive = buffer.getInteger(at: start + 32, as: UInt64.self),
            let transmit = buffer.getInteger(at: start + 40, as: UInt64.self)
        else {
            throw .truncated(byteCount: buffer.readableBytes)
        }
        self.init(
            leapIndicator: flags >> 6,
            version: (flags >> 3) & 0b111,
            mode: flags & 0b111,
            stratum: stratum,
            poll: poll,
            precision: precision,
            rootDelay: rootDelay,
            rootDispersion: rootDispersion,
            referenceID: referenceID,
            referenceTimestamp: NTPTimestamp(rawValue: reference),
            originTimestamp: NTPTimestamp(rawValue: origin),
            receiveTimestamp: NTPTimestamp(rawValue: receive),
            transmitTimestamp: NTPTimestamp(rawValue: transmit)
        )
    }

    /// Decodes the header at the start of `bytes`.
    ///
    /// - Throws: ``SNTPError/truncated(byteCount:)`` if there are fewer than 48 bytes.
    public init(decoding bytes: some Sequence<UInt8>) throws(SNTPError) {
        try self.init(decoding: ByteBuffer(bytes: bytes))
    }

    /// Appends the 48-byte wire form to `buffer`; out-of-range LI/version/mode bits are masked off.
    public func write(to buffer: inout ByteBuffer) {
        let flags = (self.leapIndicator & 0b11) << 6 | (self.version & 0b111) << 3 | (self.mode & 0b111)
        buffer.writeInteger(flags)
        buffer.writeInteger(self.stratum)
        buffer.writeInteger(self.poll)
        buffer.writeInteger(self.precision)
        buffer.writeInteger(self.rootDelay)
        buffer.writeInteger(self.rootDispersion)
        buffer.writeInteger(self.referenceID)
        buffer.writeInteger(self.referenceTimestamp.rawValue)
        buffer.writeInteger(self.originTimestamp.rawValue)
        buffer.writeInteger(self.receiveTimestamp.rawValue)
        buffer.writeInteger(self.transmitTimestamp.rawValue)
    }

    /// The 48-byte wire form.
    public var bytes: [UInt8] {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(Self.size)
        self.write(to: &buffer)
        return Array(buffer.readableBytesView)
    }

    /// Root delay in seconds.
    public var rootDelaySeconds: Double { Double(self.rootDelay) / 65_536 }

    /// Root dispersion in seconds.
    public var rootDispersionSeconds: Double { Double(self.rootDispersion) / 65_536 }

    /// The reference ID as text: four ASCII characters (a kiss code or reference clock name) for stratum 0 and 1,
    /// otherwise the upstream server's IPv4 address in dotted-quad form (or a hash of its IPv6 address).
    public var referenceIDString: String {
        if self.stratum <= 1 {
            return self.referenceIDASCII
        }
        return (0..<4).map { String((self.referenceID >> (24 - 8 * $0)) & 0xFF) }.joined(separator: ".")
    }

    /// The reference ID read as up to four printable ASCII characters (trailing NULs and spaces dropped).
    public var referenceIDASCII: String {
        var scalars = (0..<4).map { UInt8(truncatingIfNeeded: self.referenceID >> (24 - 8 * $0)) }
        while let last = scalars.last, last == 0 || last == 0x20 {
            scalars.removeLast()
        }
        // Only printable ASCII survives so that a hostile server cannot inject control characters into our logs.
        return String(decoding: scalars.map { (0x21...0x7E).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }
}

extension SNTPPacket {
    /// Checks that this packet is an acceptable server reply to the request whose transmit field was `nonce`.
    ///
    /// The origin check comes first: a kiss-o'-death or any other verdict is only believed from a packet that
    /// provably answers our request (RFC 5905 §7.4), otherwise anyone could make us give up.
    func validateAsReply(toNonce nonce: UInt64) throws(SNTPError) {
        guard self.originTimestamp.rawValue == nonce else { throw .originMismatch }
        guard self.mode == 4 else { throw .notServerMode(Int(self.mode)) }
        guard self.version == 3 || self.version == 4 else { throw .unsupportedVersion(Int(self.version)) }
        guard self.stratum != 0 else { throw .kissOfDeath(code: self.referenceIDASCII) }
        guard (1...15).contains(self.stratum) else { throw .badStratum(Int(self.stratum)) }
        guard self.leapIndicator != 3 else { throw .unsynchronized }
        guard self.transmitTimestamp != .zero else { throw .zeroTransmitTimestamp }
    }
}
