import { Application, TeamsAdapter, TurnState } from '@microsoft/teams-ai';
import { ActivityTypes } from 'botbuilder';
import restify from 'restify';

/**
 * The ceiling for `npm run bench`: a bare teams-ai echo bot on the same stack as Overlastbot
 * (teams-ai Application + TeamsAdapter + restify, no auth, no storage, no logging). It echoes a
 * message's text and answers an `adaptiveCard/action` (Action.Execute) with a small card; replies go
 * to the activity's serviceUrl, i.e. the same Bot Connector stub the bot under test posts to.
 *
 *   PORT=0 node --import tsx bench/echo-bot.ts   →   "echo bot listening on http://127.0.0.1:<port>"
 */

const adapter = new TeamsAdapter();
const app = new Application<TurnState>({
  adapter,
  removeRecipientMention: true,
  startTypingTimer: false,
  longRunningMessages: false,
});

app.activity(ActivityTypes.Message, async (context) => {
  await context.sendActivity(`Echo: ${context.activity.text ?? ''}`);
});

app.adaptiveCards.actionExecute(/.*/, async (_context, _state, data) => ({
  type: 'AdaptiveCard',
  $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
  version: '1.5',
  body: [
    { type: 'TextBlock', text: 'Ontvangen', weight: 'Bolder', wrap: true },
    { type: 'TextBlock', text: `Velden: ${Object.keys((data ?? {}) as object).length}`, wrap: true },
  ],
}));

// The same body parser settings as src/http/server.ts.
const server = restify.createServer({ name: 'echo-bot', handleUncaughtExceptions: false });
server.use(restify.plugins.bodyParser({ maxBodySize: 256 * 1024, mapParams: false, mapFiles: false }));
server.get('/healthz', async (_req, res) => {
  res.send(200, { status: 'ok' });
});
server.post('/api/messages', async (req, res) => {
  await adapter.process(req, res, (context) => app.run(context).then(() => undefined));
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`echo bot listening on http://127.0.0.1:${server.address().port}`);
});
const stop = () => server.close(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
