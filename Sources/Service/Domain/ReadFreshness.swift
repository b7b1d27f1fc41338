/// Where a store may read a row from: any replica (which may lag the primary by a moment), or
/// the latest state, for a caller reading back its own write or about to change the row.
public enum ReadFreshness: Sendable {
    case anyReplica
    case latest
}
