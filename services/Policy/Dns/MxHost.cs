namespace EmailPipeline.Policy.Dns;

/// <summary>One MX record. <see cref="Host"/> has no trailing dot; a null MX (RFC 7505) has an empty host.</summary>
public readonly record struct MxHost(ushort Preference, string Host);
