/**
 * Every Dutch UI string lives here. Identifiers stay English; the process's own words stay Dutch.
 * Sections are grouped per feature; add to your feature's section, keep keys stable (tests match on them).
 */

export const nl = {
  // --- general -----------------------------------------------------------------------------------
  general: {
    botName: 'Overlastbot',
    comingSoon: 'komt binnenkort',
    tryAgainLater: 'Er ging iets mis bij het verwerken. Probeer het zo opnieuw.',
    rateLimited: 'Je doet veel verzoeken kort na elkaar. Wacht even en probeer het dan opnieuw.',
    unknownAction: 'Deze knop wordt niet (meer) herkend. Typ "help" voor wat je kunt doen.',
  },

  // --- operator console (start-up line, config errors) --------------------------------------------
  ops: {
    listening: (url: string, store: string, auth: boolean) =>
      `Overlastbot luistert op ${url} — opslag: ${store} — Bot Framework-authenticatie: ${auth ? 'aan' : 'uit'}`,
    configInvalid: 'Ongeldige configuratie:',
    directoryInvalid: 'Ongeldig adresboek (DIRECTORY_FILE):',
    storeFailed: (detail: string) => `Opslag niet bereikbaar: ${detail}`,
    shuttingDown: 'Overlastbot stopt: nieuwe verzoeken worden geweigerd, lopende afgerond.',
  },

  // --- identity ------------------------------------------------------------------------------------
  identity: {
    unknownUser: (admins: readonly string[]) =>
      `Je bent (nog) niet geregistreerd voor de Overlastbot. Vraag ${admins.join(' of ')} (beheerder) om je toe te voegen aan het adresboek.`,
    unknownUserNoAdmin:
      'Je bent (nog) niet geregistreerd voor de Overlastbot. Vraag de functioneel beheerder van de gemeente om je toe te voegen aan het adresboek.',
    wrongTenant:
      'Deze Overlastbot is alleen beschikbaar binnen de eigen organisatie (tenant) van de gemeente. Je verzoek is geweigerd.',
  },

  // --- administration (beheerder) -----------------------------------------------------------------
  admin: {
    title: 'Auditlog exporteren',
    intro: 'Wie heeft wat ingezien of gewijzigd, inclusief weigeringen. Voor de DPIA of een verzoek van een betrokkene.',
    from: 'Van (datum)',
    to: 'Tot en met (datum)',
    submit: 'Exporteren',
    badDate: 'Vul twee geldige datums in (jjjj-mm-dd), bijvoorbeeld: audit 2026-11-01 2026-11-25.',
    toBeforeFrom: 'De einddatum ligt vóór de begindatum.',
    periodTooLong: (days: number) => `Een export beslaat hoogstens ${days} dagen. Kies een kortere periode.`,
    denied: 'Alleen een beheerder kan het auditlog exporteren.',
    exported: (n: number, from: string, to: string) =>
      `${n} ${n === 1 ? 'regel' : 'regels'} van ${from} tot en met ${to} (CSV):`,
    exportedToFile: (n: number, from: string, to: string, file: string) =>
      `${n} regels van ${from} tot en met ${to}: te veel voor de chat. Het CSV-bestand staat op de server: ${file}`,
  },

  // --- help and welcome ----------------------------------------------------------------------------
  help: {
    welcomeTitle: 'Welkom bij de Overlastbot',
    welcomeText:
      'Met deze bot werk je samen in de Aanpak overlast in de openbare ruimte: meldingen doen, casussen volgen, oproepen voor overleg beantwoorden en terugkoppelen. Persoonsgegevens blijven in dit persoonlijke gesprek.',
    greeting: (name: string) => `Hallo ${name}`,
    youAre: (roles: string, organisation: string) => `Je bent aangemeld als ${roles} bij ${organisation}.`,
    whatYouCanDo: 'Wat je kunt doen',
    typeHelp: 'Typ "help" om dit overzicht opnieuw te zien.',
    comingSoonSuffix: '(komt binnenkort)',
    roleNames: {
      partner: 'partner',
      wijkmanager: 'wijkmanager',
      voorzitter: 'voorzitter Kerngroep',
      'regisseur-it': 'regisseur Interventieteam',
      beheerder: 'beheerder',
    },
    actions: {
      melding: { title: 'Nieuwe melding', description: 'Meld overlast of een zorgsignaal.' },
      mijnMeldingen: { title: 'Mijn meldingen', description: 'Je recente meldingen met hun casus en niveau.' },
      casus: { title: 'Casus bekijken', description: 'Typ "casus" gevolgd door de referentie, bijv. casus C-2026-00012.' },
      terugkoppeling: { title: 'Terugkoppeling geven', description: 'Koppel terug over interventies die je hebt afgesproken.' },
      overleg: { title: 'Mijn overleggen', description: 'Oproepen voor een casusoverleg bekijken en beantwoorden.' },
      overlegPlannen: { title: 'Casusoverleg plannen', description: 'Partners oproepen voor een casusoverleg.' },
      kerngroep: { title: 'Kerngroep', description: 'Aanmeldingen beoordelen en de ja/nee-uitvraag voorbereiden.' },
      audit: { title: 'Auditlog exporteren', description: 'Wie heeft wat ingezien of gewijzigd, als CSV.' },
    },
  },

  // --- signals (meldingen) -------------------------------------------------------------------------
  signals: {
    kinds: { overlast: 'Overlastmelding', zorg: 'Zorgmelding' },
    categories: {
      geluid: 'Geluid',
      intimidatie: 'Intimidatie',
      zwerfafval: 'Zwerfafval / vervuiling',
      vernieling: 'Vernieling',
      drugs: 'Drugs',
      alcohol: 'Alcohol',
      hangjongeren: 'Hangjongeren / groep',
      verkeer: 'Verkeer / scooters',
      agressie: 'Agressie / geweld',
      overig: 'Overig',
    },
    severities: { laag: 'Laag', middel: 'Middel', hoog: 'Hoog' },
    subjects: { locatie: 'Situatie / locatie', groep: 'Groep', persoon: 'Persoon' },
    sources: { 'eigen-waarneming': 'Eigen waarneming', bewoner: 'Melding van bewoner', partner: 'Melding van partner' },
    levels: { hinder: 'Hinder', overlast: 'Overlast', ernstig: 'Ernstige overlast' },
    yes: 'Ja',
    no: 'Nee',

    form: {
      title: 'Nieuwe melding',
      intro: 'Meld overlast of een zorgsignaal. Velden met (verplicht) moet je invullen.',
      privacyWarning:
        'Let op: een melding over een situatie, locatie of groep bevat geen namen (op hinderniveau worden geen persoonsgegevens gedeeld). Noem ook in de beschrijving geen namen. Alleen bij "Betreft: persoon" vul je naam en geboortedatum in; die zijn alleen zichtbaar voor jouw organisatie en de gemeente.',
      policeWarning:
        'Persoonsgegevens in een melding van de politie zijn alleen zichtbaar voor de gemeente (WPG).',
      kind: 'Soort melding (verplicht)',
      kindHint: 'Een zorgmelding (geen strafbaar feit) gaat naar de zorgpartner van de wijk.',
      district: 'Wijk (verplicht)',
      districtPlaceholder: 'Kies een wijk',
      hotspot: 'Bekende plek in deze wijk',
      hotspotPlaceholder: 'Kies een bekende plek (of vul hieronder een locatie in)',
      hotspotNone: 'Voor deze wijk zijn geen bekende plekken vastgelegd.',
      showHotspots: 'Bekende plekken van gekozen wijk tonen',
      location: 'Locatie: straat, plein of plek (verplicht als je geen bekende plek kiest)',
      locationPlaceholder: 'bijv. Statenplein of Sint Jorisweg bij de speeltuin',
      observedDate: 'Waargenomen op: datum (verplicht)',
      observedTime: 'Waargenomen om: tijd (verplicht)',
      categories: 'Categorie: een of meer (verplicht)',
      categoryOther: 'Omschrijving bij "overig"',
      severity: 'Ernst (verplicht)',
      subject: 'Betreft (verplicht)',
      groupHeading: 'Alleen bij "Betreft: groep"',
      groupSize: 'Groepsgrootte (ongeveer)',
      personHeading: 'Alleen bij "Betreft: persoon"',
      personName: 'Naam van de persoon',
      personDob: 'Geboortedatum',
      source: 'Bron (verplicht)',
      description: 'Beschrijving (verplicht, max. 2000 tekens)',
      descriptionPlaceholder: 'Wat is er gebeurd? Beschrijf plaats en gedrag, geen namen.',
      policeHeading: 'Alleen voor de politie',
      policeContact: 'Politiecontact (mutatie) over overlast',
      policeReference: 'Referentie van de mutatie',
      errorSummary: 'Niet alle velden zijn goed ingevuld. Kijk bij de rode meldingen hieronder.',
      submit: 'Melding versturen',
    },

    errors: {
      kindRequired: 'Kies de soort melding: overlastmelding of zorgmelding.',
      kindInvalid: 'Kies de soort melding uit de lijst.',
      noCarePartner:
        'Voor deze wijk is geen zorgpartner (sociaal wijkteam of Meldpunt Zorg & Overlast) in het adresboek bekend. De zorgmelding kan daarom niet worden doorgezet; neem contact op met de beheerder.',
      districtRequired: 'Kies een wijk.',
      districtUnknown: 'Deze wijk is onbekend. Kies een wijk uit de lijst.',
      hotspotUnknown: 'Deze plek hoort niet bij de gekozen wijk. Kies een plek uit de lijst of vul de locatie zelf in.',
      locationRequired: 'Vul een straat, plein of plek in, of kies een bekende plek.',
      locationEmpty: 'Vul een straat, plein of plek in (alleen leestekens is geen locatie).',
      locationTooLong: 'De locatie is te lang: maximaal 200 tekens.',
      dateRequired: 'Vul de datum in waarop je het hebt waargenomen.',
      dateInvalid: 'Dit is geen geldige datum (verwacht: jjjj-mm-dd).',
      timeRequired: 'Vul het tijdstip in waarop je het hebt waargenomen.',
      timeInvalid: 'Dit is geen geldig tijdstip (verwacht: uu:mm).',
      observedInFuture: 'Het tijdstip van waarneming ligt in de toekomst.',
      observedTooOld: 'Het tijdstip van waarneming ligt meer dan een jaar terug.',
      categoriesRequired: 'Kies ten minste één categorie.',
      categoryUnknown: 'Kies de categorieën uit de lijst.',
      categoryOtherRequired: 'Omschrijf kort wat "overig" is.',
      categoryOtherTooLong: 'De omschrijving bij "overig" is te lang: maximaal 200 tekens.',
      categoryOtherWithoutOverig: 'Kies ook de categorie "overig", of maak dit veld leeg.',
      severityRequired: 'Kies de ernst: laag, middel of hoog.',
      severityInvalid: 'Kies de ernst uit de lijst.',
      subjectRequired: 'Kies waar de melding over gaat: situatie/locatie, groep of persoon.',
      subjectInvalid: 'Kies uit de lijst waar de melding over gaat.',
      groupSizeInvalid: 'Vul een groepsgrootte in tussen 2 en 500, of laat het veld leeg.',
      personNameRequired: 'Vul de naam van de persoon in.',
      personNameTooLong: 'De naam is te lang: maximaal 200 tekens.',
      personNameInvalid: 'Dit is geen naam.',
      dobRequired: 'Vul de geboortedatum van de persoon in.',
      dobInvalid: 'Dit is geen geldige geboortedatum (verwacht: jjjj-mm-dd).',
      dobNotPast: 'De geboortedatum moet in het verleden liggen (na 1900).',
      personDataNotAllowed:
        'Een melding over een situatie of groep bevat geen persoonsgegevens. Kies "Betreft: persoon" of maak dit veld leeg.',
      sourceRequired: 'Kies de bron van de melding.',
      sourceInvalid: 'Kies de bron uit de lijst.',
      descriptionRequired: 'Beschrijf wat er is gebeurd.',
      descriptionTooLong: 'De beschrijving is te lang: maximaal 2000 tekens.',
      policeContactInvalid: 'Kies ja of nee bij politiecontact.',
      policeReferenceRequired: 'Vul de referentie van de mutatie in.',
      policeReferenceTooLong: 'De referentie is te lang: maximaal 50 tekens.',
      policeReferenceInvalid: 'De referentie mag alleen letters, cijfers, spaties en . / _ - bevatten.',
      policeReferenceWithoutContact: 'Zet "Politiecontact" op ja, of maak de referentie leeg.',
      invalid: 'Deze waarde is ongeldig.',
    },

    refusals: {
      title: 'Niet gelukt',
      notAllowedToReport: 'Je kunt geen meldingen doen: daarvoor heb je de rol partner of een rol van de gemeente nodig.',
      forged:
        'Deze melding is geweigerd: de gegevens komen niet overeen met het formulier dat je hebt gekregen. Er is niets opgeslagen. Typ "melding" voor een nieuw formulier.',
      oversized: 'Deze melding is geweigerd: een van de velden is veel te lang. Er is niets opgeslagen.',
      unknownCard:
        'Dit formulier is onbekend of niet voor jou bestemd. Er is niets opgeslagen. Typ "melding" voor een nieuw formulier.',
      expiredCard: 'Dit formulier is verlopen. Er is niets opgeslagen. Typ "melding" voor een nieuw formulier.',
      busy: 'Het lukte niet om de melding op te slaan omdat tegelijk iemand anders dezelfde casus bijwerkte. Probeer het nog eens.',
      badCaseRef: (ref: string) => `"${ref}" is geen casusreferentie. Een casusreferentie ziet er uit als C-2026-00012.`,
      caseNotFound: (ref: string) => `Er is geen casus met referentie ${ref}.`,
      caseDenied: (ref: string) => `Je hebt geen toegang tot casus ${ref}.`,
      denyReasons: {
        'not-involved': 'Alleen de organisaties die bij de casus betrokken zijn en de gemeente kunnen deze casus inzien.',
        'wrong-district': 'Deze casus hoort bij een andere wijk.',
        'police-data-wpg': 'Gegevens van de politie zijn alleen voor de gemeente (WPG).',
        'non-covenant': 'Je organisatie heeft het convenant niet getekend en krijgt geen persoonsgegevens.',
        'role-required': 'Daarvoor heb je een andere rol nodig.',
        'unknown-action': 'Deze actie is niet toegestaan.',
      },
      passOnNotHinder: 'Deze casus is al bij de wijkmanager: alleen een casus op hinderniveau kun je doorzetten.',
      passOnPending: 'Er staat al een verzoek om door te zetten naar de wijkmanager klaar voor deze casus.',
      passOnReasonRequired: 'Geef een reden op waarom je de casus doorzet.',
      passOnReasonTooLong: 'De reden is te lang: maximaal 1000 tekens.',
    },

    confirmation: {
      title: 'Melding ontvangen',
      reference: 'Referentie',
      kind: 'Soort',
      district: 'Wijk',
      location: 'Locatie',
      observedAt: 'Waargenomen',
      categories: 'Categorie',
      severity: 'Ernst',
      subject: 'Betreft',
      subjectPersonHidden: 'Persoon (naam niet in dit overzicht)',
      policeContact: 'Politiecontact vastgelegd',
      case: 'Casus',
      caseNew: (ref: string) => `${ref} (nieuwe casus)`,
      caseJoined: (ref: string) => `${ref} (bij een bestaande casus gevoegd)`,
      level: 'Niveau',
      director: 'Regie',
      whatNext: 'Wat gebeurt er nu?',
      nextHinderOwn:
        'De casus staat op hinderniveau en jouw organisatie heeft de regie: onderneem zelf actie, informeer de andere partners en houd de situatie in de gaten. Informeer de wijkmanager als meer partijen meldingen krijgen, de plek vaker overlast heeft of je vermoedt dat er meer speelt; zet de casus door als jullie interventies niet werken.',
      nextHinderOther: (org: string) =>
        `De casus staat op hinderniveau; ${org} heeft de regie. Jouw melding telt mee in het beeld van de casus.`,
      nextZorg: (org: string) =>
        `Dit is een zorgmelding: ${org} (zorgpartner van de wijk) heeft de regie en pakt de melding als eerste op, niet de handhaving.`,
      nextOverlast: (district: string) =>
        `De casus staat op overlastniveau: de wijkmanager van ${district} heeft de regie en bespreekt de casus in het casusoverleg.`,
      nextErnstig: (district: string) =>
        `De casus staat op het niveau ernstige overlast: de wijkmanager van ${district} houdt de regie, in afstemming met de Kerngroep of het Interventieteam.`,
      openCase: 'Casus bekijken',
      newSignal: 'Nieuwe melding',
    },

    directors: {
      wijkmanager: (district: string) => `Wijkmanager van ${district}`,
    },

    mine: {
      title: 'Mijn meldingen',
      empty: 'Je hebt nog geen meldingen gedaan. Typ "melding" om er een te doen.',
      intro: (n: number) => (n === 1 ? 'Je meest recente melding:' : `Je ${n} meest recente meldingen:`),
      caseAndLevel: (caseRef: string, level: string) => `Casus ${caseRef} · ${level}`,
      openCase: (ref: string) => `Casus ${ref}`,
    },

    caseCard: {
      title: (ref: string) => `Casus ${ref}`,
      kind: 'Soort',
      level: 'Niveau',
      director: 'Regie',
      district: 'Wijk',
      location: 'Locatie',
      subject: 'Betreft',
      status: 'Status',
      statuses: { open: 'Open', closed: 'Afgesloten' },
      signalsHeading: 'Meldingen (tijdlijn)',
      signalsShown: (shown: number, total: number) => `De ${shown} meest recente van ${total} meldingen.`,
      personHidden: 'Betreft een persoon (gegevens afgeschermd)',
      personShown: (name: string, dob: string) => `Betreft: ${name}, geboren ${dob}`,
      descriptionHidden: 'Beschrijving afgeschermd (bevat mogelijk persoonsgegevens).',
      policeContact: 'Politiecontact (mutatie) vastgelegd',
      policeReference: (ref: string) => `Mutatie ${ref}`,
      eventsHeading: 'Verloop',
      events: {
        created: (signalRef: string) => `Casus aangemaakt met melding ${signalRef}`,
        passOnRequested: 'Verzoek om door te zetten naar de wijkmanager',
        levelChanged: (from: string, to: string) => `Niveau gewijzigd van ${from} naar ${to}`,
      },
      passOnsHeading: 'Doorzetten naar wijkmanager',
      passOnStatus: { 'pending-delivery': 'wacht op aflevering', delivered: 'afgeleverd', failed: 'aflevering mislukt' },
      passOnLine: (at: string, org: string, status: string) => `${at} door ${org}: ${status}`,
      assessmentHeading: 'Beoordeling (de tien criteria, voor zover de gegevens het toelaten)',
      assessment: {
        last7: 'Meldingen laatste 7 dagen',
        last28: 'Meldingen laatste 28 dagen',
        last90: 'Meldingen laatste 90 dagen',
        total: 'Meldingen totaal',
        organisations: 'Meldende organisaties',
        reporters: 'Verschillende melders',
        perOrganisation: 'Meldingen per organisatie',
        span: 'Tijdspanne',
        spanValue: (first: string, last: string, days: number) => `${first} – ${last} (${days} ${days === 1 ? 'dag' : 'dagen'})`,
        night: "Aandeel 's nachts (22:00–06:00)",
        nightValue: (pct: number, n: number) => `${pct}% (${n})`,
        regularity: 'Regelmaat',
        regularityValue: (days: number, weeks: number) =>
          `op ${days} ${days === 1 ? 'dag' : 'verschillende dagen'}, in ${weeks} ${weeks === 1 ? 'week' : 'verschillende weken'}`,
        categories: 'Categorieën',
        categoriesValue: (n: number, list: string) => `${n}: ${list}`,
        severity: 'Hoogste ernst',
        trend: 'Trend (laatste 28 dagen t.o.v. de 28 daarvoor)',
        trendValue: (label: string, last: number, previous: number) => `${label} (${last} t.o.v. ${previous})`,
        trends: { rising: 'stijgend', falling: 'dalend', stable: 'gelijk' },
        none: '–',
      },
      passOn: 'Doorzetten naar wijkmanager',
      refresh: 'Vernieuwen',
    },

    passOn: {
      title: (ref: string) => `Casus ${ref} doorzetten naar de wijkmanager`,
      intro:
        'Zet de casus door als jullie interventies niet werken en het overlast is geworden, als partners elkaar niet in beweging krijgen, of als de casus complex is.',
      reason: 'Reden (verplicht)',
      reasonPlaceholder: 'Wat is er al gedaan en waarom is de wijkmanager nu nodig? Geen namen.',
      privacy: 'Noem geen namen: de reden is zichtbaar voor alle betrokken partners.',
      submit: 'Doorzetten',
      doneTitle: 'Verzoek vastgelegd',
      done: (ref: string) =>
        `Je verzoek om casus ${ref} door te zetten naar de wijkmanager is vastgelegd op de tijdlijn van de casus. Status: wacht op aflevering.`,
    },
  },
} as const;
