namespace Hub.Storage;

/// <summary>Another transaction changed what this one read and meant to change (e.g. released the same held removal):
/// this one must roll back and be tried again, on what is there now. Transient: never blamed on a record.</summary>
public sealed class ConcurrentChangeException(string message) : Exception(message);
