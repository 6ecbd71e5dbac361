/**
 * Date and time as the report form's Input.Date / Input.Time give them, in Amsterdam, `offsetMinutes`
 * from now. Computed with Intl (not with the bot's own time code), so tests that use it check the bot.
 */
export function amsterdam(offsetMinutes = -60): { date: string; time: string } {
  // One formatter: building an Intl.DateTimeFormat costs a tenth of a millisecond or more.
  format ??= new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Europe/Amsterdam',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  const parts = Object.fromEntries(format.formatToParts(new Date(Date.now() + offsetMinutes * 60_000)).map((p) => [p.type, p.value]));
  return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}` };
}

let format: Intl.DateTimeFormat | undefined;
