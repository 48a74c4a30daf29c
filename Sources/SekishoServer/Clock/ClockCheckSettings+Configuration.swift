extension ClockCheckSettings {
    /// The settings from the `clock.*` configuration keys; `clock.check` is the caller's business (whether to run at all).
    ///
    /// - Parameter totpPeriod: The TOTP step in seconds (`SekishoConfiguration.totp.period`).
    public init(_ settings: SekishoConfiguration.ClockSettings, totpPeriod: Double = 30) {
        self.init(
            servers: settings.servers,
            maxOffset: settings.maxOffset,
            timeout: settings.timeout,
            onFailure: Self.onFailure(settings.onFailure),
            interval: settings.interval,
            totpPeriod: totpPeriod
        )
    }

    private static func onFailure(_ value: SekishoConfiguration.ClockSettings.OnFailure) -> OnFailure {
        switch value {
        case .warn: .warn
        case .refuse: .refuse
        }
    }
}
