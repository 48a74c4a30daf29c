/// One successful SNTP exchange: how far our clock is from the server's.
public struct SNTPMeasurement: Hashable, Sendable {
    /// The server queried, as "host" or "host:port" (see ``SNTPServer/description``).
    public var server: String
    /// θ = ((T2−T1)+(T3−T4))/2 in seconds; positive means our clock is behind the server's.
    public var offset: Double
    /// δ = (T4−T1)−(T3−T2) in seconds: the network round trip, excluding the server's processing time.
    public var delay: Double
    /// The server's stratum, 1...15.
    public var stratum: Int
    /// The server's reference ID as text (see ``SNTPPacket/referenceIDString``).
    public var referenceID: String
    /// The server's transmit timestamp T3 as Unix seconds.
    public var serverTime: Double

    /// Creates a measurement from its parts.
    public init(server: String, offset: Double, delay: Double, stratum: Int, referenceID: String, serverTime: Double) {
        self.server = server
        self.offset = offset
        self.delay = delay
        self.stratum = stratum
        self.referenceID = referenceID
        self.serverTime = serverTime
    }

    /// Computes offset and delay from a validated reply and our local send/receive times (Unix seconds).
    ///
    /// T1/T4 are our real clock readings, not the random nonce sent as the transmit timestamp. The differences use
    /// wrapping NTP arithmetic so an exchange that straddles the 2036 era rollover still comes out right.
    init(server: String, reply: SNTPPacket, sentAt t1: Double, receivedAt t4: Double) {
        let localSent = NTPTimestamp(unixSeconds: t1)
        let localReceived = NTPTimestamp(unixSeconds: t4)
        let t2 = reply.receiveTimestamp
        let t3 = reply.transmitTimestamp
        // Differences are taken pairwise (T2−T1, T3−T4) so that each stays small; see RFC 5905 §8.
        let forward = t2.seconds(since: localSent)
        let backward = t3.seconds(since: localReceived)
        self.init(
            server: server,
            offset: (forward + backward) / 2,
            delay: localReceived.seconds(since: localSent) - t3.seconds(since: t2),
            stratum: Int(reply.stratum),
            referenceID: reply.referenceIDString,
            serverTime: t4 + backward
        )
    }
}
