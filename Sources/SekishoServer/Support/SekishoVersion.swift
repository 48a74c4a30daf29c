/// The version shown on `/admin/system` and by `sekisho --version`.
public enum SekishoVersion {
    public static let current = "0.1.0"
}
