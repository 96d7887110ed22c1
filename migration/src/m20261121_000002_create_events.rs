use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(Events::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Events::Name).string_len(200).not_null())
                    .col(ColumnDef::new(Events::Visibility).string_len(16).not_null())
                    .col(ColumnDef::new(Events::StartsAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Events::OwnerId).uuid().not_null())
                    .col(
                        ColumnDef::new(Events::AutoStartFirstRound)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(
                        ColumnDef::new(Events::AutoAdvanceRounds)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(ColumnDef::new(Events::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EventMembers::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(EventMembers::EventId).uuid().not_null())
                    .col(ColumnDef::new(EventMembers::UserId).uuid().not_null())
                    .col(ColumnDef::new(EventMembers::Role).string_len(16).not_null())
                    .col(
                        ColumnDef::new(EventMembers::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(Index::create().col(EventMembers::EventId).col(EventMembers::UserId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(EventMembers::Table, EventMembers::EventId)
                            .to(Events::Table, Events::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_event_members_user")
                    .table(EventMembers::Table)
                    .col(EventMembers::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EventMembers::Table).to_owned())
            .await?;
        manager.drop_table(Table::drop().table(Events::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    Name,
    Visibility,
    StartsAt,
    OwnerId,
    AutoStartFirstRound,
    AutoAdvanceRounds,
    CreatedAt,
}

#[derive(DeriveIden)]
enum EventMembers {
    Table,
    EventId,
    UserId,
    Role,
    CreatedAt,
}
