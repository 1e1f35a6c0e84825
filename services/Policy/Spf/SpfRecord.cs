namespace EmailPipeline.Policy.Spf;

/// <summary>A parsed "v=spf1" record: directives in order, and the two modifiers RFC 7208 defines (each at most once).</summary>
public sealed record SpfRecord(IReadOnlyList<SpfDirective> Directives, MacroString? Redirect, MacroString? Explanation);
