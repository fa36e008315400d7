/// Commerce Data Exchange: master-data packages from headquarters applied to the channel
/// database, and transactional data handed back by watermark. Built in its own milestone.
public enum DataExchange {}
