/// The product's version, printed by `--version` of `mpesa-recon` and `daraja-sim` (bumped with each release).
public enum ReconVersion {
    /// Semantic version of this source tree.
    public static let current = "0.16.0"
}
