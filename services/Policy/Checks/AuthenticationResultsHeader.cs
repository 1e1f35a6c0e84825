using System.Text;
using EmailPipeline.Policy.Arc;
using EmailPipeline.Policy.Dkim;
using EmailPipeline.Policy.Dmarc;
using EmailPipeline.Policy.Spf;

namespace EmailPipeline.Policy.Checks;

/// <summary>
/// Writes the Authentication-Results header field (RFC 8601) for an <see cref="InboundReport"/>: one resinfo per
/// method, each on its own folded line — spf (smtp.mailfrom or smtp.helo), dkim once per signature (header.d,
/// header.s, header.b of RFC 6008), dmarc (header.from, policy.dmarc), arc. Reasons go in comments.
/// </summary>
public static class AuthenticationResultsHeader
{
    public const string Name = "Authentication-Results";

    /// <summary>The complete field, ending in CRLF, ready to prepend.</summary>
    public static string Build(string authServId, InboundReport report)
    {
        ArgumentNullException.ThrowIfNull(authServId);
        ArgumentNullException.ThrowIfNull(report);
        var results = new List<string>
        {
            Spf(report),
        };
        results.AddRange(report.Dkim.Count == 0 ? ["dkim=none"] : report.Dkim.Select(Dkim));
        results.Add(Dmarc(report));
        results.Add(Arc(report.Arc));

        var field = new StringBuilder(Name).Append(": ").Append(authServId);
        foreach (string result in results)
        {
            field.Append(";\r\n\t").Append(result);
        }

        return field.Append("\r\n").ToString();
    }

    /// <summary>The field on one line (for the command line and logs).</summary>
    public static string Unfold(string field)
    {
        ArgumentNullException.ThrowIfNull(field);
        return field.Replace("\r\n\t", " ", StringComparison.Ordinal).TrimEnd('\r', '\n');
    }

    private static string Spf(InboundReport report)
    {
        SpfOutcome spf = report.Spf;
        var text = new StringBuilder("spf=").Append(spf.Result.ToToken());
        AppendComment(text, spf.Result is SpfResult.TempError or SpfResult.PermError ? spf.Reason : spf.Mechanism is null ? null : "matched " + spf.Mechanism);
        text.Append(report.SpfCheckedHelo ? " smtp.helo=" + Value(report.Helo) : " smtp.mailfrom=" + Value(report.MailFrom));
        return text.ToString();
    }

    private static string Dkim(DkimSignatureOutcome dkim)
    {
        var text = new StringBuilder("dkim=").Append(dkim.Result.ToToken());
        string? comment = dkim.KeyBits > 0 && dkim.Result == DkimResult.Pass
            ? dkim.Reason is null ? $"{dkim.KeyBits}-bit key" : $"{dkim.KeyBits}-bit key; {dkim.Reason}"
            : dkim.Reason;
        AppendComment(text, comment);
        if (dkim.Domain is not null)
        {
            text.Append(" header.d=").Append(Value(dkim.Domain));
        }

        if (dkim.Selector is not null)
        {
            text.Append(" header.s=").Append(Value(dkim.Selector));
        }

        if (dkim.HeaderB is not null)
        {
            text.Append(" header.b=").Append(Value(dkim.HeaderB));
        }

        return text.ToString();
    }

    private static string Dmarc(InboundReport report)
    {
        DmarcOutcome dmarc = report.Dmarc;
        var text = new StringBuilder("dmarc=").Append(dmarc.Result.ToToken());
        var comment = new List<string>();
        if (dmarc.Record is { } record)
        {
            comment.Add($"p={record.Policy.ToToken()}{(record.SubdomainPolicy is { } sp ? " sp=" + sp.ToToken() : "")}{(record.Percent < 100 ? $" pct={record.Percent}" : "")} dis={dmarc.Disposition.ToToken()}");
        }

        if (report.ArcOverride is not null)
        {
            comment.Add("arc override by " + report.ArcOverride);
        }

        if (dmarc.Reason is not null && dmarc.Result != DmarcResult.Pass)
        {
            comment.Add(dmarc.Reason);
        }

        AppendComment(text, comment.Count == 0 ? null : string.Join("; ", comment));
        if (dmarc.FromDomain is not null)
        {
            text.Append(" header.from=").Append(Value(dmarc.FromDomain));
        }

        if (dmarc.AppliedPolicy is { } applied)
        {
            text.Append(" policy.dmarc=").Append(applied.ToToken());
        }

        if (report.ArcOverride is not null)
        {
            text.Append(" policy.arc-override=").Append(Value(report.ArcOverride));
        }

        return text.ToString();
    }

    private static string Arc(ArcOutcome arc)
    {
        var text = new StringBuilder("arc=").Append(arc.Result.ToToken());
        AppendComment(text, arc.Instances > 0 ? $"i={arc.Instances}{(arc.LastSealer is null ? "" : " sealer " + arc.LastSealer)}{(arc.Reason is null ? "" : "; " + arc.Reason)}" : null);
        return text.ToString();
    }

    private static void AppendComment(StringBuilder text, string? comment)
    {
        if (string.IsNullOrWhiteSpace(comment))
        {
            return;
        }

        text.Append(" (");
        foreach (char c in comment)
        {
            // A comment is ctext and quoted-pairs; nothing may break the header line.
            if (c is '(' or ')' or '\\')
            {
                text.Append('\\');
            }

            text.Append(char.IsControl(c) ? ' ' : c);
        }

        text.Append(')');
    }

    // RFC 8601 pvalue: a token, an address or domain as they are, or else a quoted-string.
    private static string Value(string value)
    {
        bool plain = value.Length > 0 && value.All(c => c > ' ' && c < 127 && c is not ('(' or ')' or '<' or '>' or ',' or ';' or ':' or '\\' or '"' or '/' or '[' or ']' or '?' or '='));
        if (plain)
        {
            return value;
        }

        var quoted = new StringBuilder("\"");
        foreach (char c in value)
        {
            if (c is '"' or '\\')
            {
                quoted.Append('\\');
            }

            quoted.Append(char.IsControl(c) ? ' ' : c);
        }

        return quoted.Append('"').ToString();
    }
}
