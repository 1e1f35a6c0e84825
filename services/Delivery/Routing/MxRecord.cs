namespace EmailPipeline.Delivery.Routing;

/// <param name="Preference">Lower is tried first.</param>
/// <param name="Exchange">The host name as published, without the trailing dot; "" for the null MX ".".</param>
public sealed record MxRecord(int Preference, string Exchange);
