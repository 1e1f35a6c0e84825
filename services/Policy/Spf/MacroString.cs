using System.Text;
using System.Text.RegularExpressions;

namespace EmailPipeline.Policy.Spf;

/// <summary>
/// A parsed RFC 7208 §7.1 macro-string (or explain-string): literal text and macro-expands. Parsing checks the whole
/// syntax up front, so a record with a bad macro anywhere is a permerror before anything is looked up.
/// </summary>
public sealed partial class MacroString
{
    private const string DomainLetters = "slodiphv";
    private const string ExplanationLetters = "slodiphvcrt";
    private const string Delimiters = ".-+,/_=";

    private MacroString(string text, IReadOnlyList<Part> parts, bool endsWithMacroExpand)
    {
        Text = text;
        Parts = parts;
        EndsWithMacroExpand = endsWithMacroExpand;
    }

    public string Text { get; }

    internal IReadOnlyList<Part> Parts { get; }

    /// <summary>The last token is a macro-expand: "%{...}", or one of the escapes "%%", "%_", "%-".</summary>
    private bool EndsWithMacroExpand { get; }

    /// <summary>A macro-string of a mechanism or modifier: no spaces, no c/r/t macros.</summary>
    public static MacroString? TryParse(string text) => TryParse(text, explanation: false);

    /// <summary>The TXT text of an exp= target: spaces allowed, and the c/r/t macros.</summary>
    public static MacroString? TryParseExplanation(string text) => TryParse(text, explanation: true);

    /// <summary>
    /// A domain-spec (§7.1): a non-empty macro-string that ends in a macro-expand or in "." toplabel ["."].
    /// The check is on the text as written; names produced by expansion are not re-checked (the suite insists).
    /// </summary>
    public static MacroString? TryParseDomainSpec(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        MacroString? parsed = TryParse(text, explanation: false);
        if (parsed is null || parsed.Parts.Count == 0)
        {
            return null;
        }

        if (parsed.EndsWithMacroExpand)
        {
            return parsed;
        }

        string tail = ((Part.Literal)parsed.Parts[^1]).Text;
        if (tail.EndsWith('.'))
        {
            tail = tail[..^1];
        }

        int dot = tail.LastIndexOf('.');
        return dot >= 0 && TopLabel().IsMatch(tail[(dot + 1)..]) ? parsed : null;
    }

    private static MacroString? TryParse(string text, bool explanation)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = new List<Part>();
        var literal = new StringBuilder();
        bool endsWithMacroExpand = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            endsWithMacroExpand = c == '%';
            if (c != '%')
            {
                // macro-literal is %x21-24 / %x26-7E; an explain-string may add spaces.
                if (c is < '!' or > '~' && !(explanation && c == ' '))
                {
                    return null;
                }

                literal.Append(c);
                continue;
            }

            if (++i == text.Length)
            {
                return null;
            }

            switch (text[i])
            {
                case '%':
                    literal.Append('%');
                    continue;
                case '_':
                    literal.Append(' ');
                    continue;
                case '-':
                    literal.Append("%20");
                    continue;
                case '{':
                    break;
                default:
                    return null;
            }

            int close = text.IndexOf('}', i);
            Part.Macro? macro = close < 0 ? null : ParseMacro(text.AsSpan(i + 1, close - i - 1), explanation);
            if (macro is null)
            {
                return null;
            }

            if (literal.Length > 0)
            {
                parts.Add(new Part.Literal(literal.ToString()));
                literal.Clear();
            }

            parts.Add(macro);
            i = close;
        }

        if (literal.Length > 0)
        {
            parts.Add(new Part.Literal(literal.ToString()));
        }

        return new MacroString(text, parts, endsWithMacroExpand);
    }

    // macro-letter transformers *delimiter, where transformers = *DIGIT [ "r" ].
    private static Part.Macro? ParseMacro(ReadOnlySpan<char> body, bool explanation)
    {
        if (body.IsEmpty || !(explanation ? ExplanationLetters : DomainLetters).Contains(char.ToLowerInvariant(body[0]), StringComparison.Ordinal))
        {
            return null;
        }

        char letter = body[0];
        int i = 1;
        int digits = 0;
        bool hasDigits = false;
        while (i < body.Length && char.IsAsciiDigit(body[i]))
        {
            // More parts than any name can have is the same as "all of them"; cap to avoid overflow.
            digits = Math.Min(digits * 10 + (body[i] - '0'), 1000);
            hasDigits = true;
            i++;
        }

        if (hasDigits && digits == 0)
        {
            return null;
        }

        bool reverse = false;
        if (i < body.Length && body[i] is 'r' or 'R')
        {
            reverse = true;
            i++;
        }

        ReadOnlySpan<char> delimiters = body[i..];
        foreach (char d in delimiters)
        {
            if (!Delimiters.Contains(d, StringComparison.Ordinal))
            {
                return null;
            }
        }

        return new Part.Macro(char.ToLowerInvariant(letter), char.IsAsciiLetterUpper(letter), digits, reverse, delimiters.IsEmpty ? "." : delimiters.ToString());
    }

    public override string ToString() => Text;

    [GeneratedRegex("^(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9-]*[A-Za-z0-9])$", RegexOptions.CultureInvariant)]
    private static partial Regex TopLabel();

    internal abstract record Part
    {
        private Part()
        {
        }

        internal sealed record Literal(string Text) : Part;

        /// <summary>%{letter digits r delimiters}; <see cref="UrlEscape"/> when the letter was upper case.</summary>
        internal sealed record Macro(char Letter, bool UrlEscape, int Digits, bool Reverse, string Delimiters) : Part;
    }
}
