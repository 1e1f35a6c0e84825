using System.Globalization;
using EmailPipeline.Contracts;
using EmailPipeline.Queue.State;

namespace EmailPipeline.Queue.Consumers;

/// <summary>Small conversions between what the store keeps and what travels.</summary>
internal static class EnvelopeRecipients
{
    private static readonly IdnMapping Idn = new();

    /// <summary>The route key of a recipient: its domain in lower-case ASCII (A-labels for IDNs).</summary>
    public static string DomainOf(string address)
    {
        string domain = address[(address.LastIndexOf('@') + 1)..].TrimEnd('.');
        if (domain.StartsWith('['))
        {
            return domain.ToLowerInvariant();
        }

        try
        {
            return Idn.GetAscii(domain).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            return domain.ToLowerInvariant();
        }
    }

    public static EnvelopeRecipient ToEnvelope(this RecipientRecord r) => new(r.Address, r.Notify, r.OriginalRecipient);

    /// <summary>RFC 3461 §4.1: no DSN for NEVER; failure and delay DSNs need FAILURE/DELAY when NOTIFY was given.</summary>
    public static bool Wants(this DsnNotify notify, DsnNotify what) => notify switch
    {
        _ when notify.HasFlag(DsnNotify.Never) => false,
        DsnNotify.Default => what == DsnNotify.Failure,
        _ => notify.HasFlag(what),
    };
}
