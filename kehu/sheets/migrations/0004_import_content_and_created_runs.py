"""An import's file and parsed rows move to a table of their own (ImportContent), and the
customers an import created are recorded as runs of consecutive ids (ImportRecord.count)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('sheets', '0003_drop_redundant_fk_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='ImportContent',
            fields=[
                ('batch', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='content', serialize=False, to='sheets.importbatch')),
                ('data', models.BinaryField()),
                ('parsed', models.BinaryField(null=True)),
            ],
            options={
                'verbose_name': 'imported file',
                'verbose_name_plural': 'imported files',
            },
        ),
        migrations.RunSQL(
            "INSERT INTO sheets_importcontent (batch_id, data, parsed) "
            "SELECT id, data, parsed FROM sheets_importbatch",
            "UPDATE sheets_importbatch SET data = (SELECT data FROM sheets_importcontent "
            "WHERE batch_id = sheets_importbatch.id), parsed = (SELECT parsed FROM "
            "sheets_importcontent WHERE batch_id = sheets_importbatch.id)",
        ),
        migrations.RemoveField(
            model_name='importbatch',
            name='data',
        ),
        migrations.RemoveField(
            model_name='importbatch',
            name='parsed',
        ),
        migrations.AddField(
            model_name='importrecord',
            name='count',
            field=models.PositiveIntegerField(default=1),
        ),
    ]
